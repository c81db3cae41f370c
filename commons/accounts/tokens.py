"""Single-use links: set a password, reset it, accept an invitation, confirm a new address.

A link carries a random token (256 bits); the table keeps its SHA-256, so a copy of the table
opens nothing. A token is refused when unknown (404), already used or expired (410), or, for a
password link, when the password changed after it was made (410): a reset link found later in
a mailbox is worth nothing once the owner has chosen a new password. Using one is a
compare-and-set on `used_at`: two clicks at once cannot both succeed.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from commons.accounts.models import AccountToken, Role, TokenPurpose, User
from commons.database import claim
from commons.errors import ServiceError
from commons.extensions import db

LIFETIMES = {
    TokenPurpose.SET_PASSWORD: timedelta(days=7),
    TokenPurpose.RESET_PASSWORD: timedelta(hours=1),
    TokenPurpose.INVITATION: timedelta(days=7),
    TokenPurpose.CONFIRM_EMAIL: timedelta(days=1),
}
PASSWORD_PURPOSES = (TokenPurpose.SET_PASSWORD, TokenPurpose.RESET_PASSWORD)
_SHAPE = re.compile(r"^[A-Za-z0-9_-]{20,100}$")


class TokenRefused(ServiceError):
    """A link that opens nothing; the message is French, `status` 404 or 410."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(purpose: TokenPurpose, *, now: datetime, user: User | None = None, email: str = "",
          role: Role | None = None, created_by: User | None = None, keep_for_relay: bool = False) -> str:
    """Make a link's token; only its hash is stored (and the token itself when an admin must relay it)."""
    token = secrets.token_urlsafe(32)
    db.session.add(AccountToken(
        purpose=purpose, token_hash=hash_token(token), user_id=user.id if user else None, email=email, role=role,
        created_at=now, expires_at=now + LIFETIMES[purpose], created_by_id=created_by.id if created_by else None,
        relay_token=token if keep_for_relay else None))
    db.session.flush()
    return token


def find(token: str, purposes: Iterable[TokenPurpose], now: datetime) -> AccountToken:
    """The usable token row behind a link, or TokenRefused saying why not (nothing is written)."""
    row = None
    if _SHAPE.match(token or ""):
        row = db.session.scalar(sa.select(AccountToken).where(AccountToken.token_hash == hash_token(token),
                                                              AccountToken.purpose.in_(list(purposes))))
    if row is None:
        raise TokenRefused(_("Ce lien n'est pas valide : vérifiez qu'il a été copié en entier, ou demandez-en un "
                             "nouveau."), 404)
    if row.used_at is not None:
        raise TokenRefused(_("Ce lien a déjà servi : il ne peut être utilisé qu'une fois."), 410)
    if row.expires_at <= now:
        raise TokenRefused(_("Ce lien a expiré : demandez-en un nouveau."), 410)
    if row.user_id is not None and not _owner_still_matches(row):
        raise TokenRefused(_("Ce lien n'est plus valable : le compte a changé depuis qu'il a été envoyé."), 410)
    return row


def _owner_still_matches(row: AccountToken) -> bool:
    user = row.user
    if user is None or not user.is_enabled:
        return False
    changed = user.password_changed_at
    return not (row.purpose in PASSWORD_PURPOSES and changed is not None and row.created_at < changed)


def use(row: AccountToken, now: datetime) -> None:
    """Spend the token, once: a second use (even at the same instant) is refused."""
    if not claim(row, "used_at", None, now):
        raise TokenRefused(_("Ce lien a déjà servi : il ne peut être utilisé qu'une fois."), 410)
    row.relay_token = None


def retire_password_links(user: User, now: datetime) -> None:
    """A password just changed: every set or reset link still waiting for it stops working."""
    db.session.execute(sa.update(AccountToken).where(
        AccountToken.user_id == user.id, AccountToken.purpose.in_(PASSWORD_PURPOSES),
        AccountToken.used_at.is_(None)).values(used_at=now, relay_token=None)
        .execution_options(synchronize_session=False))


def relayed(now: datetime) -> list[AccountToken]:
    """The links waiting for an admin to pass them on (no mail server), newest first."""
    return list(db.session.scalars(sa.select(AccountToken).where(
        AccountToken.relay_token.is_not(None), AccountToken.used_at.is_(None), AccountToken.expires_at > now)
        .order_by(AccountToken.created_at.desc(), AccountToken.id.desc())))


def recipient(row: AccountToken) -> str:
    """The address the link is for: the invited or new address, else the account's."""
    return row.email or (row.user.email if row.user else "")
