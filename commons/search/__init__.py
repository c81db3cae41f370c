"""Full-text search. The only package that imports Whoosh."""
from flask import Blueprint, Flask

bp = Blueprint("search", __name__)


def init_app(app: Flask) -> None:
    from commons.search import models  # noqa: F401  (the outbox table)

    app.register_blueprint(bp)
