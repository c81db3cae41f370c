"""`flask --app wsgi lineage ...`: read the lineage graph from a terminal."""
from __future__ import annotations

import click
import sqlalchemy as sa

from commons.editions.models import Edition
from commons.entries.models import Entry
from commons.extensions import db
from commons.lineage.models import LineageLink
from commons.lineage.queries import compare_editions
from commons.lineage.services import edition_date

lineage_cli = click.Group("lineage", help="Filiation des fiches d'une édition à l'autre.")


def _edition(slug: str) -> Edition:
    edition = db.session.scalar(sa.select(Edition).where(Edition.slug == slug))
    if edition is None:
        raise click.ClickException(f"Édition inconnue : {slug}")
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
    """Vérifier que chaque lien va d'une édition vers une édition postérieure (sinon, code de sortie 1)."""
    bad = 0
    source, target = sa.orm.aliased(Entry), sa.orm.aliased(Entry)
    rows = db.session.execute(sa.select(LineageLink, source, target)
                              .join(source, LineageLink.source_entry_id == source.id)
                              .join(target, LineageLink.target_entry_id == target.id)).all()
    for link, src, dst in rows:
        if edition_date(dst.edition) <= edition_date(src.edition):
            bad += 1
            click.echo(f"lien {link.id} : fiche {src.id} ({src.edition.slug}) → fiche {dst.id} "
                       f"({dst.edition.slug}) ne va pas vers une édition postérieure", err=True)
    click.echo(f"{len(rows)} lien(s) vérifié(s), {bad} problème(s).")
    if bad:
        raise SystemExit(1)
