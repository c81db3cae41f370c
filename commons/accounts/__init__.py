"""Accounts: users, roles, sign-in, and the `users` CLI."""
from flask import Blueprint, Flask

bp = Blueprint("accounts", __name__)


def init_app(app: Flask) -> None:
    from flask import request
    from flask_login import current_user

    from commons.accounts import cli, routes  # noqa: F401  (registers views)
    from commons.accounts.models import User
    from commons.accounts.permissions import can
    from commons.database import get_by_id, parse_int
    from commons.extensions import login_manager

    login_manager.login_view = "accounts.login"
    login_manager.login_message = None  # the sign-in page explains itself

    @login_manager.user_loader
    def load_user(user_id: str):
        return get_by_id(User, number) if (number := parse_int(user_id)) is not None else None

    @app.before_request
    def load_user_first():
        # The signed-in user is read here, in the request, not from the first template that
        # asks `can(...)`: no template runs a query. A static file needs no user.
        if request.endpoint != "static":
            current_user._get_current_object()

    app.jinja_env.globals["can"] = can
    app.register_blueprint(bp)
    app.cli.add_command(cli.users_cli)
