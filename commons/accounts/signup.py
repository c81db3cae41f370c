"""Asking to join, and the admins' answer.

SIGNUP_MODE says who may get an account: "approval" (the default: a request waits for an
admin), "open" (the account is made at once, as a contributor, with a link to set its
password) or "closed" (only invitations). A request with an address that already has an
account or a pending request is answered exactly like a new one and stores nothing: the page
must not tell anyone which addresses are known (`Outcome.is_duplicate` is for the mail only).
"""
from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from commons.accounts import audit, services, tokens
from commons.accounts.departments import DEPARTMENTS
from commons.accounts.models import AuditKind, JoinRequest, JoinStatus, Role, TokenPurpose, User
from commons.accounts.services import AccountError
from commons.database import claim
from commons.errors import ConflictError
from commons.extensions import db
from commons.validation import TextRule

ASKABLE_ROLES = (Role.CONTRIBUTOR, Role.FACILITATOR)
STRUCTURE_NAME = TextRule(_l("Le nom de la structure"), 200, "proposed_structure", error=AccountError)
REASON = TextRule(_l("Votre motivation"), 1000, "reason", is_multiline=True,
                  required=_l("Dites en quelques mots pourquoi vous souhaitez un compte."), error=AccountError)
REFUSAL = TextRule(_l("Le message"), 1000, "message", is_multiline=True,
                   required=_l("Écrivez un message pour la personne qui a fait la demande."), error=AccountError)


class SignupMode(enum.Enum):
    OPEN = "open"
    APPROVAL = "approval"
    CLOSED = "closed"


@dataclass(frozen=True)
class JoinData:
    email: str
    display_name: str
    structure_id: int | None
    proposed_structure: str
    department: str
    role: Role | None
    reason: str


@dataclass(frozen=True)
class Outcome:
    """What happened, for the view's mail: the page says the same thing whatever it holds."""

    email: str
    is_duplicate: bool = False
    user: User | None = None  # open mode: the new account
    token: str | None = None  # open mode: its set-password link


def _cleaned(data: JoinData, structures: Mapping[int, str]) -> dict:
    name = services.DISPLAY_NAME.clean(data.display_name)
    if not name:
        raise AccountError(_("Indiquez le nom à afficher."), "display_name")
    proposed = STRUCTURE_NAME.clean(data.proposed_structure)
    if data.structure_id is not None and data.structure_id not in structures:
        raise AccountError(_("Cette structure n'est pas dans l'annuaire."), "structure")
    if data.structure_id is None and not proposed:
        raise AccountError(_("Choisissez votre structure dans la liste, ou écrivez son nom."), "structure")
    if data.department not in DEPARTMENTS:
        raise AccountError(_("Choisissez votre département dans la liste."), "department")
    if data.role not in ASKABLE_ROLES:
        raise AccountError(_("Choisissez le rôle demandé dans la liste."), "role")
    return {"email": services.valid_email(data.email), "display_name": name, "structure_id": data.structure_id,
            "proposed_structure": "" if data.structure_id is not None else proposed,
            "department": data.department, "role_asked": data.role, "reason": REASON.clean(data.reason)}


def is_known(email: str) -> bool:
    """An account, or a request still waiting, already holds this address."""
    pending = db.session.scalar(sa.select(sa.func.count()).select_from(JoinRequest).where(
        sa.func.lower(JoinRequest.email) == email, JoinRequest.status == JoinStatus.PENDING))
    return bool(pending) or services.find_user(email) is not None


def ask_to_join(data: JoinData, *, mode: SignupMode, structures: Mapping[int, str], now: datetime,
                keep_for_relay: bool, address_hash: str = "") -> Outcome:
    """Record a request (approval) or make the account (open). Refused input raises AccountError;
    a known address stores nothing and reports `is_duplicate`."""
    if mode is SignupMode.CLOSED:
        raise AccountError(_("Les inscriptions sont fermées : un compte s'obtient sur invitation."))
    fields = _cleaned(data, structures)
    if is_known(fields["email"]):
        return Outcome(fields["email"], is_duplicate=True)
    if mode is SignupMode.APPROVAL:
        request = JoinRequest(**fields, created_at=now)
        db.session.add(request)
        db.session.flush()
        audit.record(AuditKind.SIGNUP_REQUESTED, now=now, detail={"request": request.id, "mode": mode.value},
                     address_hash=address_hash)
        return Outcome(fields["email"])
    user = services.create_account(fields["email"], Role.CONTRIBUTOR, display_name=fields["display_name"],
                                   structure_id=fields["structure_id"], department=fields["department"])
    token = tokens.issue(TokenPurpose.SET_PASSWORD, now=now, user=user, keep_for_relay=keep_for_relay)
    audit.record(AuditKind.ACCOUNT_CREATED, now=now, subject_id=user.id, detail={"via": "open_signup"},
                 address_hash=address_hash)
    return Outcome(fields["email"], user=user, token=token)


def pending_requests() -> list[JoinRequest]:
    return list(db.session.scalars(sa.select(JoinRequest).where(JoinRequest.status == JoinStatus.PENDING)
                                   .order_by(JoinRequest.created_at, JoinRequest.id)))


def _decide(request: JoinRequest, status: JoinStatus, admin: User, now: datetime) -> None:
    if not claim(request, "status", JoinStatus.PENDING, status):
        raise ConflictError(_("Cette demande a déjà reçu une réponse : rechargez la page."))
    request.decided_at, request.decided_by_id = now, admin.id


def approve(request: JoinRequest, *, role: Role | None, admin: User, now: datetime,
            keep_for_relay: bool) -> tuple[User, str]:
    """Make the account with `role` (at most the role asked) and its set-password link's token."""
    if role not in ASKABLE_ROLES or role.rank > request.role_asked.rank:
        raise AccountError(_("Choisissez un rôle au plus égal à celui demandé."), "role")
    _decide(request, JoinStatus.APPROVED, admin, now)
    if services.find_user(request.email) is not None:
        raise ConflictError(_("Un compte existe déjà pour cette adresse (créé depuis la demande, par une "
                              "invitation sans doute) : refusez la demande."))
    user = services.create_account(request.email, role, display_name=request.display_name,
                                   structure_id=request.structure_id, department=request.department)
    request.role_granted, request.user_id = role, user.id
    token = tokens.issue(TokenPurpose.SET_PASSWORD, now=now, user=user, created_by=admin,
                         keep_for_relay=keep_for_relay)
    audit.record(AuditKind.JOIN_APPROVED, now=now, actor_id=admin.id, subject_id=user.id,
                 detail={"request": request.id, "role": role.value, "asked": request.role_asked.value})
    return user, token


def refuse(request: JoinRequest, *, message: str, admin: User, now: datetime) -> None:
    text = REFUSAL.clean(message)
    _decide(request, JoinStatus.REFUSED, admin, now)
    request.refusal_message = text
    audit.record(AuditKind.JOIN_REFUSED, now=now, actor_id=admin.id, detail={"request": request.id})
