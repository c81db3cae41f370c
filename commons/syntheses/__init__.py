"""Workshop syntheses: a facilitator's draft (introduction, conclusion, the workshop's entries
arranged in sections) and the immutable versions it is published as. Shows itself on the
workshop page through a panel."""
from flask import Blueprint, Flask

bp = Blueprint("syntheses", __name__)


def init_app(app: Flask) -> None:
    from commons.accounts import mydata
    from commons.panels import Slot, register
    from commons.syntheses import models, panels, queries, routes  # noqa: F401  (registers models and views)

    mydata.provide(app, "synthesis_publications", queries.personal_publications)
    register(app, Slot.WORKSHOP, panels.workshop_section, order=7)
    app.register_blueprint(bp)
