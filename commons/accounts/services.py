"""Account operations: explicit arguments, flush, never commit."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from commons.accounts import audit, passwords, sessions, tokens
from commons.accounts.models import AuditKind, Role, User
from commons.errors import ServiceError
from commons.extensions import db
from commons.validation import TextRule

PASSWORD_MIN = passwords.PASSWORD_MIN


class AccountError(ServiceError):
    """A refused account operation; the message is French."""


DISPLAY_NAME = TextRule(_l("Le nom affiché"), 120, "display_name", is_name=True, error=AccountError)
EMAIL = TextRule(_l("L'adresse électronique"), 254, "email", error=AccountError)


def normalise_email(email: str) -> str:
    return EMAIL.clean(email).lower()


def find_user(email: str) -> User | None:
    try:
        email = normalise_email(email)
    except AccountError:  # an address no account can have (control characters...)
        return None
    return db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == email))


def check_new_password(password: str, email: str) -> None:
    try:
        passwords.check_password_rules(password, email)
    except passwords.PasswordError as exc:
        raise AccountError(str(exc), "password") from exc


def valid_email(email: str) -> str:
    """The address as stored (trimmed, lowercased), or AccountError when it cannot be one."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 254 or email.startswith("@") or email.endswith("@") or " " in email:
        raise AccountError(_("Adresse électronique invalide."), "email")
    return email


def create_account(email: str, role: Role = Role.CONTRIBUTOR, *, display_name: str = "",
                   structure_id: int | None = None, department: str = "") -> User:
    """An account without a password yet (it signs in with nothing until one is set)."""
    email = valid_email(email)
    if find_user(email) is not None:
        raise AccountError(_("Un compte existe déjà pour %(email)s.", email=email), "email")
    user = User(email=email, role=role, display_name=DISPLAY_NAME.clean(display_name), structure_id=structure_id,
                department=department)
    db.session.add(user)
    db.session.flush()
    return user


def create_user(email: str, password: str, role: Role = Role.CONTRIBUTOR, display_name: str = "") -> User:
    email = valid_email(email)
    if find_user(email) is not None:
        raise AccountError(_("Un compte existe déjà pour %(email)s.", email=email), "email")
    check_new_password(password, email)
    user = create_account(email, role, display_name=display_name)
    user.set_password(password)
    db.session.flush()
    return user


def set_new_password(user: User, password: str, now: datetime) -> None:
    """Every way a password changes goes here: the links made for the old one stop working."""
    check_new_password(password, user.email)
    user.set_password(password)
    user.password_changed_at = now
    tokens.retire_password_links(user, now)


def verify_credentials(email: str, password: str) -> tuple[User | None, bool]:
    """The account the address names (None if none) and whether it may sign in with `password`.

    Without an account the same hash work is done on a dummy hash: a wrong address answers as
    slowly as a wrong password, so timing tells no one which addresses have an account.
    """
    user = find_user(email)
    if user is None or not user.password_hash:
        passwords.burn_hash_time(password)
        return user, False
    is_right = passwords.verify_password(user.password_hash, password)
    return user, is_right and user.is_enabled


def complete_sign_in(user: User, password: str, *, user_agent: str | None, is_remembered: bool, now: datetime,
                     address_hash: str = "") -> str:
    """After the password was verified: upgrade an old hash, open a session record; its token."""
    if passwords.needs_rehash(user.password_hash):
        old_method = user.password_hash.split("$", 1)[0]
        user.set_password(password)
        audit.record(AuditKind.PASSWORD_REHASHED, now=now, actor_id=user.id, subject_id=user.id,
                     detail={"from": old_method.split(":", 1)[0]}, address_hash=address_hash)
    user.last_login_at = now
    token = sessions.open_session(user, user_agent=user_agent, is_remembered=is_remembered, now=now)
    audit.record(AuditKind.SIGNED_IN, now=now, actor_id=user.id, subject_id=user.id,
                 detail={"remembered": is_remembered}, address_hash=address_hash)
    return token


def change_password(user: User, new_password: str, *, now: datetime, keep_session_id: int | None,
                    address_hash: str = "") -> int:
    """Set a new password and end every other session (copied cookies included); how many ended."""
    set_new_password(user, new_password, now)
    ended = sessions.revoke_all(user, now, except_id=keep_session_id)
    audit.record(AuditKind.PASSWORD_CHANGED, now=now, actor_id=user.id, subject_id=user.id,
                 detail={"sessions_ended": ended}, address_hash=address_hash)
    return ended


def sign_out(user: User, *, now: datetime, address_hash: str = "") -> None:
    if user.session_record_id is not None:
        sessions.revoke(user, user.session_record_id, now)
    audit.record(AuditKind.SIGNED_OUT, now=now, actor_id=user.id, subject_id=user.id, address_hash=address_hash)


def end_sessions(user: User, *, now: datetime, record_id: int | None = None, address_hash: str = "") -> int:
    """End one of `user`'s sessions (`record_id`) or all of them; how many ended."""
    if record_id is None:
        ended = sessions.revoke_all(user, now)
    else:
        ended = int(sessions.revoke(user, record_id, now))
    if ended:
        audit.record(AuditKind.SESSIONS_REVOKED, now=now, actor_id=user.id, subject_id=user.id,
                     detail={"scope": "all" if record_id is None else "one", "count": ended},
                     address_hash=address_hash)
    return ended


def update_identity(user: User, *, display_name: str, is_name_public: bool) -> None:
    """How the person is named on their contributions and page: a name (required, it stays the
    admins' way to know them) and whether others see it or only the structure."""
    name = DISPLAY_NAME.clean(display_name)
    if not name:
        raise AccountError(_("Indiquez le nom à afficher."), "display_name")
    user.display_name = name
    user.is_name_public = is_name_public
    db.session.flush()
