"""Editions and their programme: home page, edition pages, workshop pages."""
from flask import Blueprint, Flask

bp = Blueprint("editions", __name__)


def init_app(app: Flask) -> None:
    from commons.editions import models, routes  # noqa: F401

    app.register_blueprint(bp)
