"""One sign-in attempt: throttle, verify, record, in the order that leaks nothing.

A locked key is refused before any password is looked at. A failure is counted and audited on
short transactions of their own (the request that answers 422 or 429 is rolled back); a success
clears the account's count first, then writes through the request's unit of work, so that no
write of ours waits on another of ours (SQLite has one writer at a time).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from commons.accounts import audit, throttle
from commons.accounts.models import AuditKind, User
from commons.accounts.services import complete_sign_in, verify_credentials


@dataclass(frozen=True)
class Attempt:
    """What the form shows: `user` signed in, or refused (`locked_until` when locked out)."""

    user: User | None = None
    locked_until: datetime | None = None


def attempt_sign_in(email: str, password: str, *, address: str | None, user_agent: str | None,
                    is_remembered: bool, now: datetime, config: Mapping, store: throttle.Store) -> Attempt:
    limits = throttle.limits_for(email, address, config)
    address_hash = audit.hash_address(address, config["SECRET_KEY"])
    until = throttle.locked_until(store, limits, now)
    if until is not None:
        audit.record_apart(AuditKind.SIGN_IN_LOCKED, now=now, detail={"until": until.isoformat(timespec="seconds")},
                           address_hash=address_hash)
        return Attempt(locked_until=until)
    user, is_right = verify_credentials(email, password)
    if not is_right:
        return _failed(user, limits, now=now, store=store, address_hash=address_hash)
    store.clear(limits[0].key)
    complete_sign_in(user, password, user_agent=user_agent, is_remembered=is_remembered, now=now,
                     address_hash=address_hash)
    return Attempt(user=user)


def _failed(user: User | None, limits: list[throttle.Limit], *, now: datetime, store: throttle.Store,
            address_hash: str) -> Attempt:
    subject_id = user.id if user is not None else None
    reason = "unknown_account" if user is None else ("disabled" if not user.is_enabled else "wrong_password")
    until = throttle.fail(store, limits, now)
    audit.record_apart(AuditKind.SIGN_IN_FAILED, now=now, subject_id=subject_id, detail={"reason": reason},
                       address_hash=address_hash)
    if until is not None:
        audit.record_apart(AuditKind.SIGN_IN_LOCKED, now=now, subject_id=subject_id,
                           detail={"until": until.isoformat(timespec="seconds")}, address_hash=address_hash)
    return Attempt(locked_until=until)
