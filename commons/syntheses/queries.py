"""Reading syntheses: a workshop's published versions, and which entries changed since one."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from commons.editions.models import Workshop
from commons.entries.models import Entry
from commons.extensions import db
from commons.syntheses.models import Synthesis, SynthesisVersion
from commons.web import abort_with


def versions_of(workshop: Workshop) -> list[SynthesisVersion]:
    """The workshop's publication history, oldest first."""
    return list(db.session.scalars(
        sa.select(SynthesisVersion).join(Synthesis).where(Synthesis.workshop_id == workshop.id)
        .order_by(SynthesisVersion.number).options(selectinload(SynthesisVersion.published_by))))


def version_or_404(workshop: Workshop, number: int) -> SynthesisVersion:
    found = db.session.scalar(sa.select(SynthesisVersion).join(Synthesis).where(
        Synthesis.workshop_id == workshop.id, SynthesisVersion.number == number))
    if found is None:
        abort_with(404, _("La synthèse de cet atelier n'a pas de version %(number)d.", number=number))
    return found


def changed_entries(version: SynthesisVersion) -> dict[int, int]:
    """entry id → its current revision number, for the items of `version` edited since."""
    frozen = {item["entry_id"]: item["revision"] for section in version.sections for item in section["items"]}
    if not frozen:
        return {}
    rows = db.session.execute(sa.select(Entry.id, Entry.revision_number).where(Entry.id.in_(list(frozen))))
    return {entry_id: number for entry_id, number in rows if number > frozen[entry_id]}


def personal_publications(user_id: int) -> list[dict]:
    """The synthesis versions a person published (RGPD export, accounts/mydata.py)."""
    rows = db.session.execute(
        sa.select(Workshop.slug, Synthesis.workshop_id, SynthesisVersion.number, SynthesisVersion.published_at)
        .join(Synthesis, Synthesis.id == SynthesisVersion.synthesis_id).join(Workshop)
        .where(SynthesisVersion.published_by_id == user_id).order_by(SynthesisVersion.published_at,
                                                                     SynthesisVersion.id)).all()
    return [{"workshop_id": r.workshop_id, "workshop": r.slug, "version": r.number,
             "at": r.published_at.isoformat(timespec="seconds")} for r in rows]
