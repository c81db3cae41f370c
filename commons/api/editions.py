"""GET /api/v1/editions and GET /api/v1/editions/<a>/compare/<b>."""
from __future__ import annotations

from flask import jsonify
from flask_babel import gettext as _

from commons.api import bp
from commons.editions.models import Edition
from commons.editions.queries import editions_in_order, get_edition
from commons.lineage.queries import compare_editions as compare
from commons.lineage.queries import comparison_json, edition_counts, edition_json
from commons.web import abort_with, external_url


def _edition(slug: str) -> Edition:
    edition = get_edition(slug)
    if edition is None:
        abort_with(404, _("Édition inconnue : « %(slug)s ».", slug=slug))
    return edition


@bp.get("/editions")
def editions():
    counts = edition_counts()
    empty = {"workshops": 0, "entries": 0, "by_kind": {}}
    return jsonify({"editions": [
        dict(edition_json(e, counts.get(e.id, empty)), url=external_url("editions.edition", slug=e.slug))
        for e in editions_in_order()
    ]})


@bp.get("/editions/<a>/compare/<b>")
def compare_editions(a: str, b: str):
    return jsonify(comparison_json(compare(_edition(a), _edition(b))))
