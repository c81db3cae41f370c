"""Accounts: users, roles, sign-in, and the `users` CLI."""
from flask import Blueprint, Flask

bp = Blueprint("accounts", __name__)


def init_app(app: Flask) -> None:
    from commons.accounts import cli, routes  # noqa: F401  (registers views)
    from commons.accounts.models import User
    from commons.database import get_by_id, parse_int
    from commons.extensions import login_manager

    login_manager.login_view = "accounts.login"
    login_manager.login_message = None  # the sign-in page explains itself

    @login_manager.user_loader
    def load_user(user_id: str):
        return get_by_id(User, number) if (number := parse_int(user_id)) is not None else None

    app.register_blueprint(bp)
    app.cli.add_command(cli.users_cli)
