"""Editions and their programme: home page, edition and workshop pages, and their administration."""
from flask import Blueprint, Flask

bp = Blueprint("editions", __name__)


def init_app(app: Flask) -> None:
    from commons.editions import models, routes, routes_admin  # noqa: F401  (registers models and views)

    app.register_blueprint(bp)
