"""Accounts: users, roles, sign-in, session records, throttling, audit, and the `users` CLI."""
from flask import Blueprint, Flask

bp = Blueprint("accounts", __name__)

# HTTPS only, for a year, once a browser has seen it over HTTPS (not the subdomains: we do not
# know what else runs under the domain).
HSTS = "max-age=31536000"


def _secure_cookies(app: Flask) -> None:
    """Secure cookies unless told this is development (plain http on 127.0.0.1) or a test."""
    is_plain_http = app.config.get("COMMONS_ENV") == "development" or app.testing
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if app.config.get(key) is None:
            app.config[key] = not is_plain_http


def _private_pages(response):
    from flask import request
    from flask_login import current_user

    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    # A page for a signed-in person holds their name and forms: no cache, shared or not, keeps it.
    if request.endpoint != "static" and current_user.is_authenticated:
        response.headers["Cache-Control"] = "no-store"
    return response


def _template_globals(app: Flask) -> None:
    from flask import current_app

    from commons.accounts.permissions import can

    app.jinja_env.globals["can"] = can
    # Pages offer "Demander un compte" only while someone can get one without an invitation.
    app.jinja_env.globals["signup_is_offered"] = lambda: current_app.config["SIGNUP_MODE"] != "closed"


def _register_views() -> None:
    from commons.accounts import (  # noqa: F401  (registers views)
        routes,
        routes_accounts_admin,
        routes_admin,
        routes_join,
        routes_mydata,
        routes_profile,
    )


def _check_signup_mode(app: Flask) -> None:
    """An unknown mode stops the start: guessing one would open or close the door unasked."""
    from commons.accounts.signup import SignupMode

    try:
        SignupMode(app.config["SIGNUP_MODE"])
    except ValueError:
        raise RuntimeError(f"SIGNUP_MODE (COMMONS_SIGNUP_MODE) : {app.config['SIGNUP_MODE']!r} inconnu ; "
                           f"attendu : {', '.join(m.value for m in SignupMode)}") from None


def init_app(app: Flask) -> None:
    from flask import current_app, request, session
    from flask_login import current_user

    from commons.accounts import cli, clock, mail, sessions
    from commons.extensions import login_manager

    _register_views()
    _secure_cookies(app)
    _check_signup_mode(app)
    mail.listen()
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None  # the sign-in page explains itself

    @login_manager.user_loader
    def load_user(session_id: str):
        config = current_app.config
        user = sessions.load_user(session_id, now=clock.now(), lifetime=config["REMEMBER_COOKIE_DURATION"],
                                  idle=config["SESSION_IDLE"])
        if user is None:
            # A revoked or expired session: forget it, and the remember-me cookie with it.
            if session.get("_user_id") == session_id:
                session.pop("_user_id", None)
            if config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies:
                session["_remember"] = "clear"
        return user

    @app.before_request
    def load_user_first():
        # The signed-in user is read here, in the request, not from the first template that
        # asks `can(...)`: no template runs a query. A static file needs no user.
        if request.endpoint != "static":
            current_user._get_current_object()

    app.after_request(_private_pages)
    _template_globals(app)
    app.register_blueprint(bp)
    app.cli.add_command(cli.users_cli)
