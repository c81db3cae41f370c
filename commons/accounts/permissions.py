"""View decorators for roles. Anonymous visitors read; signed-in users write."""
from __future__ import annotations

from functools import wraps

from flask_babel import gettext as _
from flask_login import current_user

from commons.accounts.models import Role
from commons.extensions import login_manager
from commons.web import abort_with


def role_required(role: Role):
    """Anonymous → sign-in page; signed in without the role → 403 with a French message."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(role):
                abort_with(403, _("Cette action est réservée au rôle « %(role)s » ou supérieur.", role=role.label))
            return view(*args, **kwargs)

        return wrapped

    return decorator


def current_role_at_least(role: Role) -> bool:
    return current_user.is_authenticated and current_user.has_role(role)
