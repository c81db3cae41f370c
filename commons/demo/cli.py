"""`flask --app wsgi demo load|status`: the demo editions from the report."""
from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from commons.database import unit_of_work
from commons.extensions import db

demo_cli = click.Group("demo", help="Données de démonstration (NEC Sud-Ouest).")


def _edition_counts() -> dict[str, tuple[str, int, int]]:
    """slug → (name, number of sessions, number of entries)."""
    from commons.editions.models import Edition, Workshop
    from commons.entries.models import Entry

    sessions = sa.select(sa.func.count(Workshop.id)).where(Workshop.edition_id == Edition.id).scalar_subquery()
    entries = sa.select(sa.func.count(Entry.id)).where(Entry.edition_id == Edition.id).scalar_subquery()
    rows = db.session.execute(sa.select(Edition.slug, Edition.name, sessions, entries).order_by(Edition.year))
    return {slug: (name, n_sessions, n_entries) for slug, name, n_sessions, n_entries in rows}


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True,
              help="Ne rien faire si la base contient déjà une édition (utilisé par `make run`).")
@with_appcontext
def load_command(if_empty: bool) -> None:
    """Charger les éditions de démonstration absentes (sans effet si elles sont déjà là)."""
    from commons.demo.loader import DemoDataError, load_demo

    before = _edition_counts()
    if if_empty and before:
        click.echo(f"La base contient déjà {len(before)} édition(s) : données de démonstration non chargées.")
        return
    try:
        with unit_of_work():
            loaded = load_demo()
    except DemoDataError as exc:
        raise click.ClickException(f"Données de démonstration invalides — {exc}") from exc
    if not loaded:
        click.echo("Données de démonstration déjà chargées : rien à faire.")
        return
    for slug, (name, n_sessions, n_entries) in _edition_counts().items():
        if slug not in before:
            click.echo(f"Édition « {name} » chargée : {n_sessions} sessions, {n_entries} fiches.")


@demo_cli.command("status")
@with_appcontext
def status_command() -> None:
    """Afficher les éditions présentes dans la base."""
    counts = _edition_counts()
    if not counts:
        click.echo("Aucune édition dans la base.")
        return
    for slug, (name, n_sessions, n_entries) in counts.items():
        click.echo(f"{name} ({slug}) : {n_sessions} sessions, {n_entries} fiches.")
