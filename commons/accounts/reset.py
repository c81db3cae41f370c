"""Forgotten passwords, and the set-password links of new accounts (one page serves both).

The request answers the same whether the address has an account or not; only an enabled
account gets a link (1 hour). Choosing the new password ends every session of the account:
whoever took the old password is signed out.
"""
from __future__ import annotations

from datetime import datetime

from commons.accounts import audit, services, sessions, tokens
from commons.accounts.models import AccountToken, AuditKind, TokenPurpose, User


def request_reset(email: str, *, now: datetime, keep_for_relay: bool, address_hash: str = "") -> tuple[User, str] | None:
    """The account and its reset link's token, or None when no enabled account has `email`."""
    user = services.find_user(email)
    if user is None or not user.is_enabled:
        return None
    token = tokens.issue(TokenPurpose.RESET_PASSWORD, now=now, user=user, keep_for_relay=keep_for_relay)
    audit.record(AuditKind.PASSWORD_RESET_REQUESTED, now=now, subject_id=user.id, address_hash=address_hash)
    return user, token


def choose_password(link: AccountToken, password: str, *, now: datetime, address_hash: str = "") -> User:
    """Set the password a link was made for, spend the link, end every session of the account."""
    user = link.user
    services.check_new_password(password, user.email)
    tokens.use(link, now)
    services.set_new_password(user, password, now)
    ended = sessions.revoke_all(user, now)
    audit.record(AuditKind.PASSWORD_RESET, now=now, actor_id=user.id, subject_id=user.id,
                 detail={"purpose": link.purpose.value, "sessions_ended": ended}, address_hash=address_hash)
    return user
