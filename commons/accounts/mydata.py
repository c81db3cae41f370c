"""My data (RGPD): everything the commons holds about a person, as JSON, and deleting the account.

Accounts sits below the domains that hold contributions (entries, lineage), so those register
what they know about a person here at start-up (`provide`), the way editions provides the
structures directory; the export asks each of them.

Deleting keeps the row and empties it: the address is replaced by one that cannot receive
mail, the name, password, department and sessions go, and, unless the person chose to keep it,
the structure. Contributions stay in the commons, attributed to "contributeur ou contributrice
anonyme" (User.name): nothing of the commons is lost, nothing personal stays.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from flask import Flask, current_app

from commons.accounts import audit, sessions
from commons.accounts.models import AccountToken, AuditEvent, AuditKind, JoinRequest, User, UserSession
from commons.extensions import db

KEY = "commons.personal_data"
FORMAT = "commons-mes-donnees/1"


def provide(app: Flask, section: str, collect: Callable[[int], list[dict]]) -> None:
    """Register a section of the export: `collect(user_id)` lists what that domain holds."""
    app.extensions.setdefault(KEY, {})[section] = collect


def export(user: User, now: datetime) -> dict:
    """The person's data, never a password hash, a token or another person's address."""
    data = {
        "format": FORMAT,
        "exported_at": now.isoformat(timespec="seconds"),
        "account": _account(user),
        "sessions": [{"device": s.user_agent, "created_at": _iso(s.created_at), "last_seen_at": _iso(s.last_seen_at),
                      "is_remembered": s.is_remembered, "revoked_at": _iso(s.revoked_at)}
                     for s in db.session.scalars(sa.select(UserSession).where(UserSession.user_id == user.id)
                                                 .order_by(UserSession.id))],
        "security_events": [{"kind": e.kind.value, "at": _iso(e.created_at), "by_self": e.actor_id == user.id}
                            for e in db.session.scalars(sa.select(AuditEvent).where(AuditEvent.subject_id == user.id)
                                                        .order_by(AuditEvent.id))],
    }
    for section, collect in sorted(current_app.extensions.get(KEY, {}).items()):
        data[section] = collect(user.id)
    # Apart, through Core: a download is a GET, which writes nothing through the request.
    audit.record_apart(AuditKind.DATA_EXPORTED, now=now, actor_id=user.id, subject_id=user.id)
    return data


def _account(user: User) -> dict:
    return {"id": user.id, "email": user.email, "display_name": user.display_name, "role": user.role.value,
            "structure": user.structure.name if user.structure is not None else None,
            "department": user.department, "created_at": _iso(user.created_at),
            "last_login_at": _iso(user.last_login_at), "password_changed_at": _iso(user.password_changed_at)}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


def delete_account(user: User, *, keep_structure: bool, now: datetime) -> None:
    """Empty the account (see the module's docstring); every session ends at once."""
    sessions.revoke_all(user, now)
    db.session.execute(sa.delete(AccountToken).where(AccountToken.user_id == user.id))
    db.session.execute(sa.delete(JoinRequest).where(sa.func.lower(JoinRequest.email) == user.email.lower()))
    user.email = f"compte-supprime-{user.id}@invalid.invalid"  # .invalid: no mail can ever reach it
    user.display_name = ""
    user.password_hash = ""
    user.department = ""
    user.is_enabled = False
    if not keep_structure:
        user.structure_id = None
    user.deleted_at = now
    audit.record(AuditKind.ACCOUNT_DELETED, now=now, actor_id=user.id, subject_id=user.id,
                 detail={"structure_kept": keep_structure})
    db.session.flush()
    db.session.expire(user, ["structure"])
