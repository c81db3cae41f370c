"""Entries (fiches): browse by kind and tag, create, edit, history, diff, revert; and the
entries' part of the editions' pages (counts, a workshop's outcomes), through panels."""
from flask import Blueprint, Flask

bp = Blueprint("entries", __name__)


def init_app(app: Flask) -> None:
    from commons.accounts import mydata
    from commons.editions.services import edition_dependants, workshop_dependants
    from commons.entries import browse, models, queries, routes, tallies  # noqa: F401  (registers models and views)
    from commons.entries.cli import entries_cli
    from commons.panels import Slot, register

    tallies.install()
    mydata.provide(app, "entries", queries.personal_contributions)
    register(app, Slot.HOME, browse.home_sections)
    register(app, Slot.EDITION_CARDS, browse.edition_cards)
    register(app, Slot.PROGRAMME, browse.programme_sessions)
    register(app, Slot.WORKSHOP, browse.workshop_outcomes, order=10)
    edition_dependants.connect(_entries_in_edition)
    workshop_dependants.connect(_entries_in_workshop)
    app.cli.add_command(entries_cli)
    app.register_blueprint(bp)


def _entries_in_edition(edition) -> int:
    from commons.entries.queries import count_in_edition

    return count_in_edition(edition)


def _entries_in_workshop(workshop) -> int:
    # The ORM detaches them when the workshop is deleted (Entry.workshop's backref).
    return len(workshop.entries)
