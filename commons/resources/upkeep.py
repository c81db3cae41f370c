"""Keeping the uploads folder and the rows in step, and what a person's data export holds.

Files follow their transaction (commons/resources/storage.py), but a process killed between
writing a file and committing its row leaves the file behind: `flask resources sweep` removes
files no row names (temporary ones only once they are old enough not to be an upload in flight).
"""
from __future__ import annotations

import time

import click
import sqlalchemy as sa
from flask.cli import with_appcontext
from flask_babel import gettext as _

from commons.editions.models import Edition, Workshop
from commons.extensions import db
from commons.resources import storage
from commons.resources.models import ResourceKind, WorkshopResource

IN_FLIGHT_SECONDS = 3600


def personal_resources(user_id: int) -> list[dict]:
    """The resources a person added (RGPD export, accounts/mydata.py)."""
    rows = db.session.execute(
        sa.select(Edition.name, Workshop.title.label("workshop"), WorkshopResource)
        .join(Workshop, Workshop.id == WorkshopResource.workshop_id).join(Workshop.edition)
        .where(WorkshopResource.created_by_id == user_id).order_by(WorkshopResource.created_at, WorkshopResource.id))
    return [{"edition": r.name, "workshop": r.workshop, "title": r.WorkshopResource.title,
             "kind": r.WorkshopResource.kind.value, "url": r.WorkshopResource.url,
             "file_name": r.WorkshopResource.file_name,
             "created_at": r.WorkshopResource.created_at.isoformat(timespec="seconds")} for r in rows]


def sweep(now: float | None = None) -> list[str]:
    """Remove the files of the uploads folder that no resource names; returns their names."""
    now = time.time() if now is None else now
    named = set(db.session.scalars(sa.select(WorkshopResource.stored_name)
                                   .where(WorkshopResource.kind == ResourceKind.FILE)))
    removed = []
    for path in sorted(storage.folder().iterdir()):
        if not path.is_file() or path.name in named:
            continue
        if path.name.startswith(".tmp-") and now - path.stat().st_mtime < IN_FLIGHT_SECONDS:
            continue
        storage.discard(path)
        removed.append(path.name)
    return removed


resources_cli = click.Group("resources", help="Documents partagés par les ateliers.")


@resources_cli.command("sweep")
@with_appcontext
def sweep_command() -> None:
    """Supprimer les fichiers du dossier des documents qu'aucune ressource ne désigne."""
    removed = sweep()
    click.echo(_("%(n)d fichier(s) orphelin(s) supprimé(s).", n=len(removed)))
