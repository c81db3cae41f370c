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


@search_group.command("worker")
def worker() -> None:
    """Tient l'index à jour en continu (avec SEARCH_APPLIER=worker dans les processus web)."""
    import signal

    from commons.search.service import service

    svc = service()
    applier = svc.applier
    signal.signal(signal.SIGTERM, lambda *_: applier.stop(timeout=0))
    click.echo(_("Mise à jour de l'index en continu (Ctrl+C pour arrêter)."))
    try:
        applier.run()
    except KeyboardInterrupt:
        pass
    finally:
        svc.close()


@search_group.command("judge")
@click.option("--verbose", "-v", is_flag=True, help="Afficher chaque requête manquée.")
def judge(verbose: bool) -> None:
    """Mesure la pertinence sur les requêtes jugées (données de démonstration) : succès@3 et MRR@10."""
    from commons.search.judged import engine_runner, evaluate, load
    from commons.search.service import service

    judged = load()
    report = evaluate(engine_runner(service()), judged)
    if verbose:
        for item, rank, top in report.failures():
            click.echo(f"  {item.q!r}: {_('rang %(rank)s', rank=rank or '—')} ; {' / '.join(top)}")
    click.echo(_("%(n)d requêtes jugées : succès@3 = %(s).3f, MRR@10 = %(m).3f",
                 n=len(judged), s=report.success_at_3, m=report.mrr_at_10))
