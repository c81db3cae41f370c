"""What the account views read from the request and the app, in one place: the clock, the client
address (hashed for the audit log), the throttle store, absolute links, the mail outbox."""
from __future__ import annotations

from datetime import datetime

from flask import current_app, render_template, request
from flask_babel import format_datetime
from flask_babel import gettext as _

from commons.accounts import audit, clock, mail, throttle
from commons.accounts.signup import SignupMode
from commons.accounts.tokens import TokenRefused
from commons.extensions import db
from commons.web import external_url


def now() -> datetime:
    return clock.now()


def address_hash() -> str:
    return audit.hash_address(request.remote_addr, current_app.config["SECRET_KEY"])


def store() -> throttle.Store:
    return throttle.store_for(current_app.extensions, current_app.config)


def signup_mode() -> SignupMode:
    return SignupMode(current_app.config["SIGNUP_MODE"])


def keeps_links() -> bool:
    return mail.keeps_links(current_app.config)


def link(endpoint: str, token: str) -> str:
    """An absolute link from COMMONS_BASE_URL, never from the request's Host header."""
    return external_url(endpoint, token=token)


def send(message: mail.Mail) -> None:
    """Leaves once the request commits (never when it is refused and rolled back)."""
    mail.send_after_commit(db.session(), message)


def count_request(kind: str, values: list[tuple[str, str | None, int]]) -> datetime | None:
    """Count a throttled request; the end of the lock when it must wait."""
    limits = throttle.request_limits(kind, [(n, v or "", limit) for n, v, limit in values], current_app.config)
    return throttle.count_request(store(), limits, now())


def too_many(until: datetime) -> tuple[str, dict]:
    """The French message and headers of a 429."""
    seconds = max(1, int((until - now()).total_seconds()))
    message = _("Trop de demandes depuis peu : par sécurité, réessayez à partir de %(time)s (dans %(minutes)s "
                "min).", time=format_datetime(until, "HH:mm"), minutes=max(1, -(-seconds // 60)))
    return message, {"Retry-After": str(seconds)}


def refused_link(error: TokenRefused):
    return render_template("accounts/link_refused.html", message=str(error)), error.status
