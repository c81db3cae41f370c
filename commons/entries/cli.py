"""`flask --app wsgi entries render`: render every stored body again."""
from __future__ import annotations

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

from commons.extensions import db

entries_cli = click.Group("entries", help="Fiches.")


@entries_cli.command("render")
@with_appcontext
def render_command() -> None:
    """Recalculer le HTML et l'extrait de chaque fiche et de chaque version (après un changement des règles
    Markdown ou de la liste blanche de commons/text.py)."""
    from commons.entries.rendering import render_all
    from commons.pagecache import bump

    with db.engine.begin() as conn:
        entries, revisions = render_all(conn)
        bump(conn)  # pages kept for anonymous readers show the old rendering
    click.echo(_("%(entries)d fiche(s) et %(revisions)d version(s) rendues.", entries=entries, revisions=revisions))


@entries_cli.command("recount")
@click.option("--check", is_flag=True, help="Comparer seulement ; code de sortie 1 si les compteurs diffèrent.")
@with_appcontext
def recount_command(check: bool) -> None:
    """Recalculer les compteurs de fiches par édition, nature et statut (page d'accueil, natures)."""
    import sys

    from commons.entries.tallies import recount
    from commons.pagecache import bump

    with db.engine.connect() as conn:
        agreed = recount(conn)
        if check:
            conn.rollback()
        else:
            if not agreed:
                bump(conn)  # pages kept for anonymous readers show the old counts
            conn.commit()
    if agreed:
        click.echo(_("Compteurs justes."))
    elif check:
        click.echo(_("Compteurs faux : lancez « flask entries recount »."), err=True)
        sys.exit(1)
    else:
        click.echo(_("Compteurs faux : recalculés."))
