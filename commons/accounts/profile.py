"""A person's own account: a new address, confirmed by a link sent to it before it replaces the old.

The request answers the same whether another account already has the new address (then no
link is made): a signed-in person must not learn who else has an account.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from commons.accounts import audit, services, tokens
from commons.accounts.models import AccountToken, AuditKind, TokenPurpose, User
from commons.accounts.services import AccountError
from commons.errors import ConflictError


def request_email_change(user: User, new_email: str, *, now: datetime, keep_for_relay: bool,
                         address_hash: str = "") -> tuple[str, str | None]:
    """(the new address, the confirmation link's token or None when that address is taken).
    The view has checked the current password first (throttled like sign-in)."""
    email = services.valid_email(new_email)
    if email == user.email:
        raise AccountError(_("C'est déjà l'adresse de votre compte."), "email")
    if services.find_user(email) is not None:
        return email, None
    token = tokens.issue(TokenPurpose.CONFIRM_EMAIL, now=now, user=user, email=email, keep_for_relay=keep_for_relay)
    audit.record(AuditKind.EMAIL_CHANGE_REQUESTED, now=now, actor_id=user.id, subject_id=user.id,
                 address_hash=address_hash)
    return email, token


def confirm_email_change(link: AccountToken, *, now: datetime, address_hash: str = "") -> tuple[User, str]:
    """Give the account the confirmed address; (the account, its old address)."""
    user = link.user
    if services.find_user(link.email) is not None:
        raise ConflictError(_("Un autre compte utilise déjà cette adresse : rien n'a changé."))
    tokens.use(link, now)
    old = user.email
    user.email = link.email
    audit.record(AuditKind.EMAIL_CHANGED, now=now, actor_id=user.id, subject_id=user.id, address_hash=address_hash)
    return user, old
