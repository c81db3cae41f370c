"""JSON API under /api/v1. Each module of this package adds its routes to `bp`."""
import importlib
import pkgutil

from flask import Blueprint, Flask

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def init_app(app: Flask) -> None:
    from commons.extensions import csrf

    # Routes live in one module per domain (commons/api/<domain>.py); importing them is
    # what attaches them to `bp`, so a new module needs no edit here.
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    csrf.exempt(bp)
    app.register_blueprint(bp)
