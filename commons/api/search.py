"""GET /api/v1/search: the search as JSON (same engine and filters as /recherche)."""
from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _

from commons.api import bp
from commons.pagecache import kept_with
from commons.web import abort_with

PER_PAGE = 20


def _index_token() -> str | None:
    from commons.search.routes import index_token

    return index_token()


@bp.get("/search")
@kept_with(_index_token)  # results follow the index, which catches up after the database
def search():
    # Imported here: the api package must not import Whoosh-backed modules at start-up
    # before the search package has been initialised.
    from commons.search.engine import search as run_search
    from commons.search.presenting import BadSearchArgs, illustrative_editions, parse_args
    from commons.search.service import IndexUnavailable, service

    try:
        args = parse_args(request.args, strict=True)
    except BadSearchArgs as exc:
        abort_with(400, str(exc))
    try:
        outcome = run_search(service(), args.q, args.filters, args.page, PER_PAGE, args.sort,
                             exact=args.exact)
    except IndexUnavailable:
        abort_with(503, _("L'index de recherche est en cours de reconstruction. Réessayez dans quelques instants."))
    editions = [v for v, _n in outcome.facets["edition"]]
    illustrative = illustrative_editions(editions + [h.edition for h in outcome.hits]
                                         + [a.get("edition") for h in outcome.hits for a in h.also])
    return jsonify({
        # Totals and facet counts count outcomes: an entry carried from one edition to the
        # next (or a workshop copied with its programme) is one result, counted once.
        "total": outcome.total,
        "page": outcome.page,
        "results": [_result(hit, illustrative) for hit in outcome.hits],
        "facets": {name: dict(outcome.facets.get(name, [])) for name in ("kind", "edition", "tag")},
        # Editions of the facets whose data is invented for the demonstration.
        "illustrative_editions": sorted(illustrative & set(editions)),
        "suggestion": outcome.suggestion,
        # When the query as typed found nothing: "suggestion" (the results are those of
        # `searched`, the spelling suggestion) or "any_word" (documents with any of the words).
        "fallback": outcome.fallback.value if outcome.fallback else None,
        "searched": outcome.searched,
    })


def _result(hit, illustrative: set[str]) -> dict:
    from commons.search.documents import REGISTRY
    from commons.search.presenting import also_links

    return {
        "type": hit.type,
        "id": hit.id,
        "title": hit.stored.get("title", ""),
        "kind": hit.kind,
        "edition": hit.edition,
        "workshop": hit.workshop,
        "url": REGISTRY[hit.type].url(hit.stored),
        # HTML: the text escaped, matched words in <mark>.
        "excerpt": str(hit.excerpt),
        # Data invented for the demonstration (an illustrative edition), not a real event.
        "illustrative": hit.edition in illustrative,
        # The same outcome in other editions, newest first: [{year, title, url, edition, ...}].
        "also": [{**link, "illustrative": link["edition"] in illustrative} for link in also_links(hit)],
    }
