"""Carrying entries from one edition to the next: lineage links, decisions, comparison,
follow-up of actions, and the administration of editions and their programme."""
from flask import Blueprint, Flask

bp = Blueprint("lineage", __name__)


def init_app(app: Flask) -> None:
    from commons.lineage import models, routes, routes_admin  # noqa: F401
    from commons.lineage.cli import lineage_cli
    from commons.lineage.queries import entry_lineage

    # The entry page (entries package) includes lineage/_entry_lineage.html, which asks for this.
    app.jinja_env.globals["entry_lineage"] = entry_lineage
    app.cli.add_command(lineage_cli)
    app.register_blueprint(bp)
