"""Carrying entries from one edition to the next: lineage links, decisions, comparison."""
from flask import Blueprint, Flask

bp = Blueprint("lineage", __name__)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
