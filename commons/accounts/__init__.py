"""Accounts: users, roles, sign-in, and the `users` CLI."""
from flask import Blueprint, Flask

bp = Blueprint("accounts", __name__)


def init_app(app: Flask) -> None:
    from commons.accounts import cli, routes  # noqa: F401  (registers views)
    from commons.accounts.models import User
    from commons.extensions import db, login_manager

    login_manager.login_view = "accounts.login"
    login_manager.login_message = None  # the sign-in page explains itself

    @login_manager.user_loader
    def load_user(user_id: str):
        return db.session.get(User, int(user_id)) if user_id.isascii() and user_id.isdigit() else None

    app.register_blueprint(bp)
    app.cli.add_command(cli.users_cli)
