"""The time the sign-in, throttling and session views go by; tests move it (no sleeps)."""
from __future__ import annotations

from datetime import datetime

from commons.models import utcnow


def now() -> datetime:
    return utcnow()
