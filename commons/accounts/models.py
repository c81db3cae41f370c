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
    # A French department code ("40"), from commons/accounts/departments.py; "" when not said.
    department: Mapped[str] = mapped_column(sa.String(3), default="")
    # Set by every password change: a reset or set-password link made before it no longer works.
    password_changed_at: Mapped[datetime | None]
    # Set when the person deleted their account (RGPD): the row stays, emptied of everything
    # personal, so that their contributions keep an anonymous attribution (mydata.py).
    deleted_at: Mapped[datetime | None]
    # The person's choice: their name on their contributions and profile, or only their structure.
    is_name_public: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

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
        if self.deleted_at is not None:
            if self.structure is not None:  # kept only when the person chose so
                return _("Contributeur ou contributrice anonyme (%(structure)s)", structure=self.structure.name)
            return _("Contributeur ou contributrice anonyme")
        if self.display_name and self.is_name_public:
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
    SIGNUP_REQUESTED = "signup_requested"
    JOIN_APPROVED = "join_approved"
    JOIN_REFUSED = "join_refused"
    INVITATION_SENT = "invitation_sent"
    INVITATION_ACCEPTED = "invitation_accepted"
    PASSWORD_RESET_REQUESTED = "password_reset_requested"
    PASSWORD_RESET = "password_reset"
    EMAIL_CHANGE_REQUESTED = "email_change_requested"
    EMAIL_CHANGED = "email_changed"
    ROLE_CHANGED = "role_changed"
    ACCOUNT_DEACTIVATED = "account_deactivated"
    ACCOUNT_REACTIVATED = "account_reactivated"
    DATA_EXPORTED = "data_exported"
    ACCOUNT_DELETED = "account_deleted"
    ACCESS_REFUSED = "access_refused"
    FACILITATOR_ASSIGNED = "facilitator_assigned"
    FACILITATOR_REMOVED = "facilitator_removed"
    ADMIN_ACTION_REFUSED = "admin_action_refused"

    @property
    def label(self) -> str:
        return str(_AUDIT_LABELS[self])


# French names of the events, for the journal and its filter (a member without one fails at start).
_AUDIT_LABELS = {
    AuditKind.SIGN_IN_FAILED: _l("Échec de connexion"),
    AuditKind.SIGN_IN_LOCKED: _l("Connexion bloquée (trop d'échecs)"),
    AuditKind.SIGNED_IN: _l("Connexion"),
    AuditKind.SIGNED_OUT: _l("Déconnexion"),
    AuditKind.SESSIONS_REVOKED: _l("Sessions fermées"),
    AuditKind.PASSWORD_CHANGED: _l("Mot de passe changé"),
    AuditKind.PASSWORD_REHASHED: _l("Mot de passe rehaché"),
    AuditKind.ACCOUNT_CREATED: _l("Compte créé"),
    AuditKind.SIGNUP_REQUESTED: _l("Demande de compte"),
    AuditKind.JOIN_APPROVED: _l("Demande de compte acceptée"),
    AuditKind.JOIN_REFUSED: _l("Demande de compte refusée"),
    AuditKind.INVITATION_SENT: _l("Invitation envoyée"),
    AuditKind.INVITATION_ACCEPTED: _l("Invitation acceptée"),
    AuditKind.PASSWORD_RESET_REQUESTED: _l("Réinitialisation de mot de passe demandée"),
    AuditKind.PASSWORD_RESET: _l("Mot de passe réinitialisé"),
    AuditKind.EMAIL_CHANGE_REQUESTED: _l("Changement d'adresse demandé"),
    AuditKind.EMAIL_CHANGED: _l("Adresse changée"),
    AuditKind.ROLE_CHANGED: _l("Rôle changé"),
    AuditKind.ACCOUNT_DEACTIVATED: _l("Compte désactivé"),
    AuditKind.ACCOUNT_REACTIVATED: _l("Compte réactivé"),
    AuditKind.DATA_EXPORTED: _l("Données personnelles téléchargées"),
    AuditKind.ACCOUNT_DELETED: _l("Compte supprimé par son titulaire"),
    AuditKind.ACCESS_REFUSED: _l("Action refusée (rôle insuffisant)"),
    AuditKind.FACILITATOR_ASSIGNED: _l("Animation d'un atelier confiée"),
    AuditKind.FACILITATOR_REMOVED: _l("Animation d'un atelier retirée"),
    AuditKind.ADMIN_ACTION_REFUSED: _l("Action d'administration refusée"),
}
assert set(_AUDIT_LABELS) == set(AuditKind), "every audit event needs a French label"


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


class JoinStatus(enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"


class JoinRequest(db.Model):
    """Someone asking for an account (SIGNUP_MODE "approval"), until an admin decides."""

    __tablename__ = "join_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), index=True)
    display_name: Mapped[str] = mapped_column(sa.String(120))
    structure_id: Mapped[int | None] = mapped_column(sa.ForeignKey("structures.id", ondelete="SET NULL"))
    # A structure not yet in the directory, as the person wrote it (the admin may add it).
    proposed_structure: Mapped[str] = mapped_column(sa.String(200), default="")
    department: Mapped[str] = mapped_column(sa.String(3), default="")
    role_asked: Mapped[Role] = mapped_column(enum_column(Role))
    reason: Mapped[str] = mapped_column(sa.String(1000), default="")
    status: Mapped[JoinStatus] = mapped_column(enum_column(JoinStatus), default=JoinStatus.PENDING, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    role_granted: Mapped[Role | None] = mapped_column(enum_column(Role))
    refusal_message: Mapped[str] = mapped_column(sa.String(1000), default="")
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    structure = relationship("Structure", lazy="joined", viewonly=True)


class TokenPurpose(enum.Enum):
    SET_PASSWORD = "set_password"
    RESET_PASSWORD = "reset_password"
    INVITATION = "invitation"
    CONFIRM_EMAIL = "confirm_email"

    @property
    def label(self) -> str:
        return str({TokenPurpose.SET_PASSWORD: _l("Choisir son mot de passe (nouveau compte)"),
                    TokenPurpose.RESET_PASSWORD: _l("Réinitialiser son mot de passe"),
                    TokenPurpose.INVITATION: _l("Invitation"),
                    TokenPurpose.CONFIRM_EMAIL: _l("Confirmer une nouvelle adresse")}[self])


class AccountToken(db.Model):
    """A single-use link (set or reset a password, an invitation, a new address to confirm).

    The link carries the token; the database keeps its SHA-256. `relay_token` keeps the token
    itself only when no mail server is configured, so that an admin can pass the link on
    (/admin/liens); it is wiped when the link is used."""

    __tablename__ = "account_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[TokenPurpose] = mapped_column(enum_column(TokenPurpose))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The invited address, or the new address to confirm.
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    role: Mapped[Role | None] = mapped_column(enum_column(Role))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    relay_token: Mapped[str | None] = mapped_column(sa.String(64))

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
