"""User accounts and roles."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import ClassVar

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from commons.extensions import db
from commons.models import TimestampMixin, enum_column, utcnow


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

    # Named by string: accounts sits below editions and does not import it. Joined, so that a
    # page naming authors (history, recent changes) reads the structure's name with the user,
    # never from its template.
    structure = relationship("Structure", lazy="joined", viewonly=True)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses disabled accounts
        return self.is_enabled

    @property
    def name(self) -> str:
        """What the product shows for this person: never their address, nor a part of it."""
        if self.display_name:
            return self.display_name
        if self.structure is not None:
            return self.structure.name
        return _("Contributeur·rice n°%(id)s", id=self.id)

    # The server-side session this request was loaded through (commons/accounts/sessions.py);
    # plain attributes, set by the user loader or at sign-in, never stored.
    session_token: ClassVar[str | None] = None
    session_record_id: ClassVar[int | None] = None

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and the remember-me cookie: the account *and*
        its session record, so that revoking the record ends every copy of either cookie."""
        if not self.session_token:
            raise RuntimeError("sign in through commons.accounts.sessions.open_session")
        return f"{self.id}:{self.session_token}"

    def set_password(self, password: str) -> None:
        from commons.accounts.passwords import hash_password

        self.password_hash = hash_password(password)

    def check_password(self, password: str) -> bool:
        from commons.accounts.passwords import verify_password

        return verify_password(self.password_hash, password)

    def has_role(self, role: Role) -> bool:
        return self.role.rank >= role.rank


# Unique whatever the case: the services lowercase every address, the database holds the line too.
sa.Index("uq_users_email_lower", sa.func.lower(User.email), unique=True)


class UserSession(db.Model):
    """One signed-in device. The browser holds the token; the database only its SHA-256."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    # "Firefox · Linux": enough to recognise a device, not the full User-Agent nor the address.
    user_agent: Mapped[str] = mapped_column(sa.String(80), default="")
    is_remembered: Mapped[bool] = mapped_column(default=False)
    revoked_at: Mapped[datetime | None]


class ThrottleCounter(db.Model):
    """Failed sign-ins per key (a hashed account or address), shared by every worker."""

    __tablename__ = "throttle_counters"

    key: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]


class AuditKind(enum.Enum):
    SIGN_IN_FAILED = "sign_in_failed"
    SIGN_IN_LOCKED = "sign_in_locked"
    SIGNED_IN = "signed_in"
    SIGNED_OUT = "signed_out"
    SESSIONS_REVOKED = "sessions_revoked"
    PASSWORD_CHANGED = "password_changed"
    PASSWORD_REHASHED = "password_rehashed"
    ACCOUNT_CREATED = "account_created"


class AuditEvent(db.Model):
    """A security event. No password, no raw address: `address_hash` is keyed by SECRET_KEY."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    kind: Mapped[AuditKind] = mapped_column(enum_column(AuditKind, 30))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    subject_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    detail: Mapped[str] = mapped_column(sa.String(500), default="")
    address_hash: Mapped[str] = mapped_column(sa.String(64), default="")
