"""`flask --app wsgi lineage ...`: read the lineage graph from a terminal."""
from __future__ import annotations

import click
from flask_babel import gettext as _

from commons.editions.models import Edition
from commons.editions.queries import get_edition
from commons.lineage.check import backwards_links, contradictory_proposals
from commons.lineage.queries import compare_editions

lineage_cli = click.Group("lineage", help="Filiation des fiches d'une édition à l'autre.")


def _edition(slug: str) -> Edition:
    edition = get_edition(slug)
    if edition is None:
        raise click.ClickException(_("Édition inconnue : %(slug)s", slug=slug))
    return edition


@lineage_cli.command("compare")
@click.argument("a")
@click.argument("b")
def compare_command(a: str, b: str) -> None:
    """Compter, par nature, ce que l'édition B a fait des fiches de l'édition A."""
    comparison = compare_editions(_edition(a), _edition(b))
    for kind in comparison.kinds:
        if not kind.is_empty:
            counts = ", ".join(f"{key}={value}" for key, value in kind.counts.items() if value)
            click.echo(f"{kind.kind.value}: {counts}")
    click.echo("total: " + ", ".join(f"{k}={v}" for k, v in comparison.totals.items() if v))


@lineage_cli.command("check")
def check_command() -> None:
    """Vérifier la filiation : liens vers une édition postérieure, propositions sans réponse contradictoire
    (code de sortie 1 en cas de problème)."""
    checked, problems = backwards_links()
    problems += contradictory_proposals()
    for line in problems:
        click.echo(line, err=True)
    click.echo(_("%(links)d lien(s) vérifié(s), %(problems)d problème(s).", links=checked, problems=len(problems)))
    if problems:
        raise SystemExit(1)
