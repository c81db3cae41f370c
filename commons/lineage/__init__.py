"""Carrying entries from one edition to the next: lineage links, decisions, comparison,
follow-up of actions, and the administration of editions and their programme."""
from flask import Blueprint, Flask

bp = Blueprint("lineage", __name__)


def init_app(app: Flask) -> None:
    from commons.lineage import models  # noqa: F401

    app.register_blueprint(bp)
