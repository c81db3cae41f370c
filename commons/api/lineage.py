"""GET /api/v1/entries/<id>/lineage: an entry's ancestors, descendants and decision log."""
from __future__ import annotations

from flask import jsonify
from flask_babel import gettext as _

from commons.api import bp
from commons.database import get_by_id
from commons.entries.models import Entry
from commons.lineage.queries import entry_json, entry_lineage, link_json
from commons.web import abort_with


@bp.get("/entries/<int:entry_id>/lineage")
def entry_lineage_json(entry_id: int):
    entry = get_by_id(Entry, entry_id)
    if entry is None:
        abort_with(404, _("Fiche inconnue : n° %(id)d.", id=entry_id))
    lineage = entry_lineage(entry)
    return jsonify({
        "entry": entry_json(entry),
        "ancestors": [link_json(link) for link in lineage.ancestors],
        "descendants": [link_json(link) for link in lineage.descendants],
        "timeline": [dict(entry_json(step["entry"]), is_current=step["is_current"],
                          decisions=[link.decision.value for link in step["links"]]) for step in lineage.steps],
        "log": [{
            "decision": row.decision.value, "summary": row.summary, "reason": row.reason or None,
            "evidence": row.evidence or None, "actor": row.actor.name if row.actor else None,
            "at": row.created_at.isoformat() + "Z",
        } for row in lineage.log],
    })
