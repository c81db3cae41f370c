"""Invitations: an admin names one address and a role; the link lets its holder make that account."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from commons.accounts import audit, services, tokens
from commons.accounts.models import AccountToken, AuditKind, Role, TokenPurpose, User
from commons.accounts.services import AccountError
from commons.errors import ConflictError
from commons.extensions import db


def invite(email: str, role: Role | None, *, admin: User, now: datetime, keep_for_relay: bool) -> tuple[str, str]:
    """(the address as stored, the invitation's token): 7 days, single use, tied to that address and `role`."""
    if role is None:
        raise AccountError(_("Choisissez le rôle de la personne invitée."), "role")
    email = services.valid_email(email)
    if services.find_user(email) is not None:
        raise AccountError(_("Un compte existe déjà pour cette adresse : inutile de l'inviter."), "email")
    token = tokens.issue(TokenPurpose.INVITATION, now=now, email=email, role=role, created_by=admin,
                         keep_for_relay=keep_for_relay)
    audit.record(AuditKind.INVITATION_SENT, now=now, actor_id=admin.id, detail={"role": role.value})
    return email, token


def accept(invitation: AccountToken, *, display_name: str, password: str, now: datetime,
           address_hash: str = "") -> User:
    """Make the invited account with the chosen name and password, and spend the invitation."""
    if services.find_user(invitation.email) is not None:
        raise ConflictError(_("Un compte existe déjà pour cette adresse : connectez-vous, ou demandez un nouveau "
                              "mot de passe."))
    services.check_new_password(password, invitation.email)
    if not services.DISPLAY_NAME.clean(display_name):
        raise AccountError(_("Indiquez le nom à afficher."), "display_name")
    tokens.use(invitation, now)
    user = services.create_account(invitation.email, invitation.role or Role.CONTRIBUTOR, display_name=display_name)
    user.set_password(password)
    user.password_changed_at = now
    audit.record(AuditKind.INVITATION_ACCEPTED, now=now, actor_id=user.id, subject_id=user.id,
                 detail={"invitation": invitation.id, "role": user.role.value}, address_hash=address_hash)
    return user


def pending(now: datetime) -> list[AccountToken]:
    return list(db.session.scalars(sa.select(AccountToken).where(
        AccountToken.purpose == TokenPurpose.INVITATION, AccountToken.used_at.is_(None),
        AccountToken.expires_at > now).order_by(AccountToken.created_at.desc(), AccountToken.id.desc())))
