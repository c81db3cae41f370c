"""The one place that answers "may this person do this?": views, templates and services ask here.

Anonymous visitors read everything published; each action below needs a role at least as
high as the one it names.
"""
from __future__ import annotations

import enum
from functools import wraps

from flask_babel import gettext as _
from flask_login import current_user

from commons.accounts.models import AuditKind, Role
from commons.extensions import login_manager
from commons.web import abort_with


class Permission(enum.Enum):
    WRITE_ENTRIES = "write_entries"  # create, edit, revert entries; propose a carry
    DECIDE = "decide"  # carry entries into an edition, decide on them, follow actions up
    MANAGE_EDITIONS = "manage_editions"  # editions, programmes, workshops
    MANAGE_ACCOUNTS = "manage_accounts"  # sign-up requests, invitations, the links to pass on

    @property
    def role(self) -> Role:
        return {Permission.WRITE_ENTRIES: Role.CONTRIBUTOR, Permission.DECIDE: Role.FACILITATOR,
                Permission.MANAGE_EDITIONS: Role.ADMIN, Permission.MANAGE_ACCOUNTS: Role.ADMIN}[self]


def can(permission: Permission | str) -> bool:
    """True when the signed-in person holds `permission` (templates pass its value)."""
    if isinstance(permission, str):
        permission = Permission(permission)
    return current_user.is_authenticated and current_user.has_role(permission.role)


def permission_required(permission: Permission):
    """Anonymous → sign-in page; signed in without the role → 403 with a French message."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not can(permission):
                _log_refusal(permission)
                abort_with(403, _("Cette action est réservée au rôle « %(role)s » ou supérieur.",
                                  role=permission.role.label))
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _log_refusal(permission: Permission) -> None:
    """A signed-in person refused an action goes to the audit log, written apart: the 403 rolls
    the request back. (Anonymous visitors are only sent to sign in: crawlers would flood it.)"""
    from flask import request

    from commons.accounts import audit, context

    audit.record_apart(AuditKind.ACCESS_REFUSED, now=context.now(), actor_id=current_user.id,
                       detail={"endpoint": request.endpoint, "method": request.method, "needs": permission.value},
                       address_hash=context.address_hash())
