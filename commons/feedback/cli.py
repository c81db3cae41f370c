"""`flask feedback results <edition>`: an edition's results as text, from the same function the
results page draws (for a report written by hand, or to check a page's figures)."""
from __future__ import annotations

import click
import sqlalchemy as sa
from flask import Flask

from commons.editions.models import Edition
from commons.extensions import db
from commons.feedback import results, services


def register(app: Flask) -> None:
    group = click.Group("feedback", help="Questionnaires des participants.")

    @group.command("results")
    @click.argument("edition_slug")
    def results_command(edition_slug: str) -> None:
        """Résultats du questionnaire d'une édition : nombre et part de chaque réponse."""
        edition = db.session.scalar(sa.select(Edition).where(Edition.slug == edition_slug))
        questionnaire = services.for_edition(edition) if edition else None
        if questionnaire is None:
            raise click.ClickException(f"Aucun questionnaire pour l'édition « {edition_slug} ».")
        click.echo(f"{edition.name} — {results.answer_count(questionnaire)} réponse(s), "
                   f"questionnaire {questionnaire.status.label}")
        for question in results.results(questionnaire):
            click.echo(f"\n{question.label}")
            for label, count, percent in question.rows:
                click.echo(f"  {label} : {count} ({percent} %)")

    app.cli.add_command(group)
