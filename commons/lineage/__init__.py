"""Carrying entries from one edition to the next: lineage links, decisions, comparison, and the
follow-up of actions. Shows itself on the entry and workshop pages through panels."""
from flask import Blueprint, Flask

bp = Blueprint("lineage", __name__)


def init_app(app: Flask) -> None:
    from commons.accounts import mydata
    from commons.entries.history import register_source
    from commons.lineage import models, panels, queries, routes  # noqa: F401  (registers models and views)
    from commons.lineage.cli import lineage_cli
    from commons.panels import Slot, register

    mydata.provide(app, "lineage_decisions", queries.personal_decisions)
    register(app, Slot.ENTRY, panels.entry_section)
    register(app, Slot.WORKSHOP, panels.workshop_section, order=5)
    register_source(app, panels.history_events)
    app.cli.add_command(lineage_cli)
    app.register_blueprint(bp)
