"""The security audit log: what happened to which account, never a password nor a raw address.

`record` adds an event to the request's unit of work (kept when the request succeeds).
`record_apart` writes at once on its own short transaction: a refused sign-in answers 422 or
429, which rolls the request back, yet its trace must stay. Being a Core write, it also leaves
the anonymous page cache alone (commons/pagecache.py): an attacker's failures do not make every
cached page render again.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timedelta

import sqlalchemy as sa

from commons.accounts.models import AuditEvent, AuditKind
from commons.database import discard_changes
from commons.extensions import db

DETAIL_MAX = 500


def hash_address(address: str | None, secret: str) -> str:
    """An address made unreadable yet comparable: keyed by the app's secret, since a plain hash
    of an IPv4 address is reversed by trying all four billion."""
    if not address:
        return ""
    return hmac.new(secret.encode(), address.encode(), hashlib.sha256).hexdigest()[:32]


def _values(kind: AuditKind, now: datetime, actor_id: int | None, subject_id: int | None,
            detail: dict | None, address_hash: str) -> dict:
    text = json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else ""
    return {"kind": kind, "created_at": now, "actor_id": actor_id, "subject_id": subject_id,
            "detail": text[:DETAIL_MAX], "address_hash": address_hash}


def record(kind: AuditKind, *, now: datetime, actor_id: int | None = None, subject_id: int | None = None,
           detail: dict | None = None, address_hash: str = "") -> AuditEvent:
    event = AuditEvent(**_values(kind, now, actor_id, subject_id, detail, address_hash))
    db.session.add(event)
    db.session.flush()
    return event


def record_apart(kind: AuditKind, *, now: datetime, actor_id: int | None = None, subject_id: int | None = None,
                 detail: dict | None = None, address_hash: str = "") -> None:
    with db.engine.begin() as connection:
        connection.execute(sa.insert(AuditEvent).values(_values(kind, now, actor_id, subject_id, detail,
                                                                address_hash)))


def record_refused_action(action: str, error: Exception, *, now: datetime, actor_id: int,
                          subject_id: int | None = None) -> None:
    """An admin action the service refused (demoting the last admin, deactivating oneself, deciding
    twice on a request): the request rolls back, the attempt and its reason stay in the journal."""
    discard_changes()
    record_apart(AuditKind.ADMIN_ACTION_REFUSED, now=now, actor_id=actor_id, subject_id=subject_id,
                 detail={"action": action, "reason": str(error)})


def prune(now: datetime, retention_days: int) -> int:
    """Delete the events older than the retention; how many went."""
    cutoff = now - timedelta(days=retention_days)
    result = db.session.execute(sa.delete(AuditEvent).where(AuditEvent.created_at < cutoff))
    return result.rowcount or 0
