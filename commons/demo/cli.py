"""`flask --app wsgi demo load|status`: the demo editions from the report."""
from __future__ import annotations

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

from commons.database import unit_of_work

demo_cli = click.Group("demo", help="Données de démonstration (NEC Sud-Ouest).")


def _edition_counts() -> dict[str, tuple[str, int, int]]:
    """slug → (name, number of sessions, number of entries), oldest edition first."""
    from commons.editions.queries import editions_in_order
    from commons.entries.queries import count_in_edition

    return {e.slug: (e.name, len(e.workshops), count_in_edition(e)) for e in editions_in_order()}


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True,
              help="Ne rien faire si la base contient déjà une édition (utilisé par `make run`).")
@with_appcontext
def load_command(if_empty: bool) -> None:
    """Charger les éditions de démonstration absentes (sans effet si elles sont déjà là)."""
    from commons.demo.loader import DemoDataError, load_demo

    before = _edition_counts()
    if if_empty and before:
        click.echo(_("La base contient déjà %(n)d édition(s) : données de démonstration non chargées.", n=len(before)))
        return
    try:
        with unit_of_work():
            loaded = load_demo()
    except DemoDataError as exc:
        raise click.ClickException(_("Données de démonstration invalides — %(error)s", error=exc)) from exc
    if not loaded:
        click.echo(_("Données de démonstration déjà chargées : rien à faire."))
        return
    for slug, (name, n_sessions, n_entries) in _edition_counts().items():
        if slug not in before:
            click.echo(_("Édition « %(name)s » chargée : %(sessions)d sessions, %(entries)d fiches.", name=name,
                         sessions=n_sessions, entries=n_entries))


@demo_cli.command("status")
@with_appcontext
def status_command() -> None:
    """Afficher les éditions présentes dans la base."""
    counts = _edition_counts()
    if not counts:
        click.echo(_("Aucune édition dans la base."))
        return
    for slug, (name, n_sessions, n_entries) in counts.items():
        click.echo(_("%(name)s (%(slug)s) : %(sessions)d sessions, %(entries)d fiches.", name=name, slug=slug,
                     sessions=n_sessions, entries=n_entries))
