"""The errors services raise when they refuse an operation, shared by every domain.

A service checks everything before its first write and raises one of these with a French
message; the view shows it (under `field` when it names one) and answers `status`. Each domain
subclasses `ServiceError` so that callers can tell whose rule refused, without a second copy
of the glue that shows it on a form.
"""
from __future__ import annotations


class ServiceError(ValueError):
    """Refused for a reason the user can fix. `field` names the form field at fault (None:
    the whole form)."""

    status = 422

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class ConflictError(ServiceError):
    """Someone else changed the same thing first: nothing was written, reload and try again."""

    status = 409
