"""Entries (fiches): browse by kind and tag, create, edit, history, diff, revert."""
from flask import Blueprint, Flask

bp = Blueprint("entries", __name__)


def init_app(app: Flask) -> None:
    from commons.entries import models, routes  # noqa: F401

    app.register_blueprint(bp)
