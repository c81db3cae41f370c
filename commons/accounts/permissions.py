"""The one place that answers "may this person do this?": views, templates and services ask here.

Anonymous visitors read everything published; each action below needs a role at least as
high as the one it names. Organisers (the facilitator role) run editions and their programme
and decide everywhere; the decisions of one workshop are also open to the people assigned to
facilitate it (`can(Permission.DECIDE, workshop)`), whatever their role.

Accounts sits below editions and does not import it: a workshop is anything with a `title`
and the `facilitator_ids` of the accounts assigned to it (`commons.editions.models.Workshop`).
"""
from __future__ import annotations

import enum
from collections.abc import Callable, Collection
from functools import wraps
from typing import Protocol

from flask import abort
from flask_babel import gettext as _
from flask_login import current_user

from commons.accounts.models import AuditKind, Role
from commons.extensions import login_manager
from commons.web import abort_with


class Permission(enum.Enum):
    WRITE_ENTRIES = "write_entries"  # create, edit, revert entries; propose a carry
    DECIDE = "decide"  # carry entries into a workshop, decide on them, follow actions up
    MANAGE_EDITIONS = "manage_editions"  # editions, programmes, workshops, their facilitators
    MANAGE_SEARCH = "manage_search"  # the search vocabulary (synonyms), which shapes every search
    MANAGE_ACCOUNTS = "manage_accounts"  # sign-up requests, invitations, the links to pass on
    MANAGE_FEEDBACK = "manage_feedback"  # open and close an edition's participants' questionnaire

    @property
    def role(self) -> Role:
        """The least role that holds the permission everywhere."""
        return {Permission.WRITE_ENTRIES: Role.CONTRIBUTOR, Permission.DECIDE: Role.FACILITATOR,
                Permission.MANAGE_EDITIONS: Role.FACILITATOR, Permission.MANAGE_SEARCH: Role.ADMIN,
                Permission.MANAGE_ACCOUNTS: Role.ADMIN, Permission.MANAGE_FEEDBACK: Role.ADMIN}[self]

    @property
    def is_workshop_scoped(self) -> bool:
        """Also held, on one workshop, by the people assigned to facilitate it."""
        return self is Permission.DECIDE


class FacilitatedWorkshop(Protocol):
    id: int
    title: str

    @property
    def facilitator_ids(self) -> Collection[int]: ...


def can(permission: Permission | str, workshop: FacilitatedWorkshop | None = None) -> bool:
    """True when the signed-in person holds `permission` (templates pass its value), everywhere
    through their role or, for a workshop-scoped one, on `workshop` as one of its facilitators."""
    if isinstance(permission, str):
        permission = Permission(permission)
    if not current_user.is_authenticated:
        return False
    if current_user.has_role(permission.role):
        return True
    return permission.is_workshop_scoped and workshop is not None and current_user.id in workshop.facilitator_ids


def require(permission: Permission, workshop: FacilitatedWorkshop | None = None) -> None:
    """Go on only if `can(permission, workshop)`: anonymous → sign-in page; signed in without it →
    403 with a French message, written to the audit log."""
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    if can(permission, workshop):
        return
    _log_refusal(permission, workshop)
    if permission.is_workshop_scoped and workshop is not None:
        abort_with(403, _("Cette action est réservée aux personnes qui animent l'atelier « %(title)s » et au rôle "
                          "« %(role)s » ou supérieur.", title=workshop.title, role=permission.role.label))
    abort_with(403, _("Cette action est réservée au rôle « %(role)s » ou supérieur.", role=permission.role.label))


def permission_required(permission: Permission,
                        workshop: Callable[..., FacilitatedWorkshop | None] | None = None):
    """A view decorator around `require`. For a workshop-scoped permission, `workshop(**view_args)`
    finds the workshop the request acts on (it may answer 404); it runs once the visitor is
    known to be signed in, so an anonymous one is sent to sign in before any lookup."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            require(permission, workshop(**kwargs) if workshop is not None else None)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _log_refusal(permission: Permission, workshop: FacilitatedWorkshop | None) -> None:
    """A signed-in person refused an action goes to the audit log, written apart: the 403 rolls
    the request back. (Anonymous visitors are only sent to sign in: crawlers would flood it.)"""
    from flask import request

    from commons.accounts import audit, context

    detail = {"endpoint": request.endpoint, "method": request.method, "needs": permission.value}
    if workshop is not None:
        detail["workshop_id"] = workshop.id
    audit.record_apart(AuditKind.ACCESS_REFUSED, now=context.now(), actor_id=current_user.id, detail=detail,
                       address_hash=context.address_hash())
