"""`flask search …`: rebuild, compare, catch up."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from commons.extensions import db
from commons.search.documents import count_all

search_group = AppGroup("search", help="Index de recherche plein texte.")


@search_group.command("reindex")
@click.option("--quiet", is_flag=True, help="Sans barre de progression.")
def reindex(quiet: bool) -> None:
    """Reconstruit l'index depuis la base dans un nouveau dossier, puis le met en service."""
    from commons.search.service import IndexUnavailable, service

    with db.engine.connect() as conn:
        total = count_all(conn)
    try:
        if quiet:
            folder = service().rebuild(wait=600)
        else:
            with click.progressbar(length=total, label="Indexation", show_pos=True, file=sys.stderr) as bar:
                folder = service().rebuild(progress=bar.update, wait=600)
    except IndexUnavailable:
        raise click.ClickException(_("Une autre reconstruction est en cours ; réessayez plus tard.")) from None
    click.echo(_("Index reconstruit : %(n)d documents dans %(folder)s.", n=total, folder=folder.name))


@search_group.command("check")
@click.option("--no-apply", is_flag=True, help="Comparer sans appliquer d'abord le journal en attente.")
def check(no_apply: bool) -> None:
    """Compare l'index et la base ; code de sortie 1 s'ils diffèrent."""
    from commons.search.check import compare
    from commons.search.service import service

    svc = service()
    if not no_apply:
        svc.catch_up(timeout=30)
    report = compare(svc)
    for line in report.lines():
        click.echo(line)
    if report.is_consistent:
        click.echo(_("Index conforme à la base (%(n)d documents).", n=report.checked))
        return
    click.echo(_("%(n)d différence(s) entre l'index et la base (corrigez avec « flask search reindex »).",
                 n=len(report.lines())), err=True)
    sys.exit(1)


@search_group.command("apply")
def apply() -> None:
    """Applique à l'index les changements en attente dans le journal."""
    from commons.search.service import service

    done = service().catch_up(timeout=30, rounds=1000)
    click.echo(_("Index à jour.") if done else _("Index occupé par un autre processus : il finira le travail."))
