"""Account operations: explicit arguments, flush, never commit."""
from __future__ import annotations

import sqlalchemy as sa

from commons.accounts.models import Role, User
from commons.extensions import db
from commons.models import utcnow

PASSWORD_MIN = 10


class AccountError(ValueError):
    """A French message for the user."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def create_user(email: str, password: str, role: Role = Role.CONTRIBUTOR, display_name: str = "") -> User:
    email = normalise_email(email)
    if "@" not in email or len(email) > 254 or email.startswith("@") or email.endswith("@"):
        raise AccountError("Adresse électronique invalide.")
    if find_user(email) is not None:
        raise AccountError(f"Un compte existe déjà pour {email}.")
    if len(password) < PASSWORD_MIN:
        raise AccountError(f"Le mot de passe doit compter au moins {PASSWORD_MIN} caractères.")
    user = User(email=email, role=role, display_name=display_name.strip())
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
