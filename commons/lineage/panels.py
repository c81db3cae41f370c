"""What lineage adds to other domains' pages: the entry page's lineage section, the workshop
page's link to its decisions, and the decisions in an entry's history."""
from __future__ import annotations

import sqlalchemy as sa
from flask import render_template
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy.orm import selectinload

from commons.editions.models import Workshop
from commons.entries.history import HistoryEvent
from commons.entries.models import Entry
from commons.extensions import db
from commons.lineage.models import Decision, DecisionLog
from commons.lineage.queries import entry_lineage


def entry_section(entry: Entry) -> Markup:
    return Markup(render_template("lineage/_entry_lineage.html", entry=entry, lineage=entry_lineage(entry)))


def workshop_section(workshop: Workshop) -> Markup:
    return Markup(render_template("lineage/_workshop_lineage.html", workshop=workshop))


def _event_text(row: DecisionLog, entry_id: int) -> str:
    if row.decision.is_pending:
        return row.summary
    if row.entry_id != entry_id:  # an entry merged into another one: the log row is the keeper's
        return _("Décision : fusionné — %(summary)s ; fiche archivée", summary=row.summary)
    detail = row.reason or row.evidence
    if not detail and row.decision in (Decision.REWORDED, Decision.MERGED, Decision.SPLIT):
        detail = row.summary
    label = _("Décision : %(decision)s", decision=row.decision.label.lower())
    return f"{label} — {detail}" if detail else label


def history_events(entry: Entry) -> list[HistoryEvent]:
    """The decision log rows about `entry` (or about an entry merged into it), as history events."""
    rows = db.session.scalars(
        sa.select(DecisionLog).where(sa.or_(DecisionLog.entry_id == entry.id, sa.and_(
            DecisionLog.related_entry_id == entry.id, DecisionLog.decision == Decision.MERGED)))
        .order_by(DecisionLog.created_at, DecisionLog.id).options(selectinload(DecisionLog.actor))
    ).all()
    return [HistoryEvent(row.created_at, row.actor, _event_text(row, entry.id), "lineage.entry_page",
                         {"entry_id": entry.id}) for row in rows]
