"""Account operations: explicit arguments, flush, never commit."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from commons.accounts.models import Role, User
from commons.errors import ServiceError
from commons.extensions import db
from commons.models import utcnow
from commons.validation import TextRule

PASSWORD_MIN = 10


class AccountError(ServiceError):
    """A refused account operation; the message is French."""


DISPLAY_NAME = TextRule(_l("Le nom affiché"), 120, "display_name", error=AccountError)
EMAIL = TextRule(_l("L'adresse électronique"), 254, "email", error=AccountError)


def normalise_email(email: str) -> str:
    return EMAIL.clean(email).lower()


def find_user(email: str) -> User | None:
    try:
        email = normalise_email(email)
    except AccountError:  # an address no account can have (control characters...)
        return None
    return db.session.scalar(sa.select(User).where(User.email == email))


def create_user(email: str, password: str, role: Role = Role.CONTRIBUTOR, display_name: str = "") -> User:
    email = normalise_email(email)
    if "@" not in email or len(email) > 254 or email.startswith("@") or email.endswith("@"):
        raise AccountError(_("Adresse électronique invalide."), "email")
    if find_user(email) is not None:
        raise AccountError(_("Un compte existe déjà pour %(email)s.", email=email), "email")
    if len(password) < PASSWORD_MIN:
        raise AccountError(_("Le mot de passe doit compter au moins %(min)d caractères.", min=PASSWORD_MIN),
                           "password")
    user = User(email=email, role=role, display_name=DISPLAY_NAME.clean(display_name))
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    user = find_user(email)
    if user is None or not user.is_enabled or not user.check_password(password):
        return None
    user.last_login_at = utcnow()
    return user
