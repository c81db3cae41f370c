"""Consistency of the lineage data: what `flask lineage check` reports.

Each check returns French sentences, one per problem. They look for states no service
writes on purpose, which a race or a manual edit of the database could leave behind.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import aliased, selectinload

from commons.entries.models import Entry
from commons.extensions import db
from commons.lineage.models import CarryProposal, LineageLink, ProposalStatus


def backwards_links() -> tuple[int, list[str]]:
    """Links must go from an edition to a later one. Returns (links checked, problems)."""
    source, target = aliased(Entry), aliased(Entry)
    rows = db.session.execute(
        sa.select(LineageLink, source, target)
        .join(source, LineageLink.source_entry_id == source.id).join(target, LineageLink.target_entry_id == target.id)
        .options(selectinload(source.edition), selectinload(target.edition))
    ).all()
    problems = [
        _("lien %(link)d : fiche %(source)d (%(a)s) → fiche %(target)d (%(b)s) ne va pas vers une édition postérieure",
          link=link.id, source=src.id, a=src.edition.slug, target=dst.id, b=dst.edition.slug)
        for link, src, dst in rows if dst.edition.held_on <= src.edition.held_on
    ]
    return len(rows), problems


def _carried_into_workshop(proposal: CarryProposal) -> bool:
    return db.session.scalar(
        sa.select(sa.func.count(LineageLink.id)).join(Entry, Entry.id == LineageLink.target_entry_id)
        .where(LineageLink.source_entry_id == proposal.source_entry_id,
               Entry.workshop_id == proposal.target_workshop_id)
    ) > 0


def contradictory_proposals() -> list[str]:
    """An answer is one answer: accepted means carried and no refusal reason; refused means not carried."""
    problems = []
    answered = db.session.scalars(sa.select(CarryProposal).where(CarryProposal.status != ProposalStatus.PENDING)
                                  .order_by(CarryProposal.id)).all()
    for proposal in answered:
        carried = _carried_into_workshop(proposal)
        names = {"id": proposal.id, "entry": proposal.source_entry_id, "workshop": proposal.target_workshop_id}
        if proposal.status is ProposalStatus.ACCEPTED and proposal.refusal_reason:
            problems.append(_("proposition %(id)d : acceptée mais porte un motif de refus", **names))
        if proposal.status is ProposalStatus.ACCEPTED and not carried:
            problems.append(_("proposition %(id)d : acceptée mais la fiche %(entry)d n'a pas été reprise dans "
                              "l'atelier %(workshop)d", **names))
        if proposal.status is ProposalStatus.REFUSED and carried:
            problems.append(_("proposition %(id)d : refusée mais la fiche %(entry)d est reprise dans "
                              "l'atelier %(workshop)d", **names))
    return problems
