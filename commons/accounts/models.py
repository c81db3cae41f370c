"""User accounts and roles."""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from commons.extensions import db
from commons.models import TimestampMixin, enum_column


class Role(enum.Enum):
    CONTRIBUTOR = "contributor"
    FACILITATOR = "facilitator"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return str({Role.CONTRIBUTOR: _l("Contributeur·rice"), Role.FACILITATOR: _l("Animateur·rice"),
                    Role.ADMIN: _l("Administrateur·rice")}[self])

    @property
    def rank(self) -> int:
        return [Role.CONTRIBUTOR, Role.FACILITATOR, Role.ADMIN].index(self)


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(120), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(256), default="")
    role: Mapped[Role] = mapped_column(enum_column(Role), default=Role.CONTRIBUTOR)
    is_enabled: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None]
    structure_id: Mapped[int | None] = mapped_column(sa.ForeignKey("structures.id", ondelete="SET NULL"))

    @property
    def is_active(self) -> bool:  # Flask-Login refuses disabled accounts
        return self.is_enabled

    @property
    def name(self) -> str:
        return self.display_name or self.email.split("@", 1)[0]

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def has_role(self, role: Role) -> bool:
        return self.role.rank >= role.rank
