"""Participants' feedback: an edition's questionnaire, answered without an account through a
link, and its results drawn as charts made on the server."""
from flask import Blueprint, Flask

bp = Blueprint("feedback", __name__)


def init_app(app: Flask) -> None:
    from commons.feedback import cli, models, routes, routes_admin  # noqa: F401  (registers models and views)
    from commons.feedback.routes import edition_panel
    from commons.panels import Slot, register

    register(app, Slot.EDITION, edition_panel)
    cli.register(app)
    app.register_blueprint(bp)
