"""Editions and their programme: home page, edition and workshop pages, and their administration."""
from flask import Blueprint, Flask

bp = Blueprint("editions", __name__)


def init_app(app: Flask) -> None:
    from commons.accounts import directory, mydata
    from commons.editions import models, queries, routes, routes_admin  # noqa: F401  (registers models and views)
    from commons.editions.facilitators import personal_facilitations

    # The sign-up form offers the structures directory (accounts cannot import editions).
    directory.provide(app, lambda: [(s.id, s.name) for s in queries.structures_by_name()])
    # A person's data export lists the workshops they were assigned to facilitate.
    mydata.provide(app, "workshop_facilitations", personal_facilitations)

    app.register_blueprint(bp)
