"""/recherche: the results page."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from commons.kinds import EntryKind
from commons.pagecache import kept_with
from commons.search import bp
from commons.search.documents import REGISTRY
from commons.search.engine import SearchSort, search
from commons.search.presenting import (
    FILTER_NAMES,
    SearchArgs,
    also_links,
    facet_labels,
    illustrative_editions,
    parse_args,
)
from commons.search.service import IndexUnavailable, service

PER_PAGE = 20
FACET_LIMITS = {"type": 5, "kind": 6, "edition": 10, "workshop": 12, "tag": 15, "status": 2}
FACET_TITLES = {
    "type": _l("Type"), "kind": _l("Nature"), "edition": _l("Édition"), "workshop": _l("Atelier"),
    "tag": _l("Étiquette"), "status": _l("Statut"),
}


def _url(args: SearchArgs, filters: dict[str, list[str]], page: int = 1, sort: SearchSort | None = None) -> str:
    params = [("q", args.q)] if args.q else []
    if args.exact:
        params.append(("exact", "1"))
    for name in FILTER_NAMES:
        params += [(name, v) for v in filters.get(name, [])]
    sort = sort or args.sort
    if sort is not SearchSort.RELEVANCE:
        params.append(("tri", sort.value))
    if page > 1:
        params.append(("page", str(page)))
    return url_for("search.results") + ("?" + urlencode(params) if params else "")


def _with(filters, name, value):
    out = {k: list(v) for k, v in filters.items()}
    out.setdefault(name, [])
    if value not in out[name]:
        out[name].append(value)
    return out


def _without(filters, name, value):
    out = {k: [v for v in vs if not (k == name and v == value)] for k, vs in filters.items()}
    return {k: v for k, v in out.items() if v}


def index_token() -> str | None:
    """The index's state for the kept page, read once the index is ready to answer (inline, the
    search itself brings it up to date: the state must be read after that)."""
    svc = service()
    svc.prepare_search()
    return svc.index_token()


@bp.route("/recherche")
@kept_with(index_token)  # results follow the index, which catches up after the database
def results():
    args = parse_args(request.args, strict=False)
    try:
        outcome = search(service(), args.q, args.filters, args.page, PER_PAGE, args.sort, exact=args.exact)
    except IndexUnavailable:
        return render_template("search/results.html", args=args, outcome=None, unavailable=True), 503
    labels = facet_labels(outcome.facets, outcome.filters)
    illustrative = illustrative_editions([h.edition for h in outcome.hits] + [v for v, _n in outcome.facets["edition"]]
                                         + [a.get("edition") for h in outcome.hits for a in h.also])
    chips = [{"label": f"{str(FACET_TITLES[name])} : {labels[name].get(v, v)}",
              "href": _url(args, _without(outcome.filters, name, v))}
             for name in FILTER_NAMES for v in outcome.filters.get(name, [])]
    pages = {
        "prev": _url(args, outcome.filters, outcome.page - 1) if outcome.page > 1 else None,
        "next": _url(args, outcome.filters, outcome.page + 1) if outcome.page < outcome.pages else None,
        "numbers": [(n, _url(args, outcome.filters, n)) for n in _page_window(outcome.page, outcome.pages)],
    }
    sorts = [(key, label, _url(args, outcome.filters, 1, key))
             for key, label in ((SearchSort.RELEVANCE, _("Pertinence")), (SearchSort.DATE, _("Date")))]
    hits = [{"hit": hit, "url": REGISTRY[hit.type].url(hit.stored), "type_label": REGISTRY[hit.type].label,
             "illustrative": hit.edition in illustrative,
             "also": [{**a, "illustrative": a["edition"] in illustrative} for a in also_links(hit)]}
            for hit in outcome.hits]
    suggestion_url = _url(SearchArgs(outcome.suggestion, {}, 1, args.sort), outcome.filters) if outcome.suggestion else None
    return render_template(
        "search/results.html", args=args, outcome=outcome, facets=_facets(args, outcome, labels, illustrative),
        chips=chips, pages=pages, sorts=sorts, hits=hits, suggestion_url=suggestion_url, labels=labels,
        unavailable=False, clear_url=_url(args, {}),
        exact_url=_url(SearchArgs(args.q, {}, 1, args.sort, exact=True), outcome.filters),
        kind_links=_kind_links(args, outcome),
    )


def _facets(args: SearchArgs, outcome, labels: dict, illustrative: set[str]) -> list[dict]:
    """The facets shown: their most frequent values, the selected ones, illustrative data marked."""
    facets = []
    for name in ("type", "kind", "edition", "workshop", "tag", "status"):
        values = outcome.facets.get(name, [])
        selected = outcome.filters.get(name, [])
        shown = values[: FACET_LIMITS[name]]
        shown += [(v, n) for v, n in values if v in selected and (v, n) not in shown]
        if name == "type" and len(values) < 2 and not selected:
            continue
        items = [{
            "value": v, "label": labels[name].get(v, v), "count": n, "selected": v in selected,
            "href": _url(args, (_without if v in selected else _with)(outcome.filters, name, v)),
            "illustrative": (v if name == "edition" else v.partition("/")[0] if name == "workshop" else None)
            in illustrative,
        } for v, n in shown]
        if items:
            facets.append({"name": name, "title": str(FACET_TITLES[name]), "items": items})
    return facets


def _kind_links(args: SearchArgs, outcome) -> list[dict[str, str]]:
    """A word of the query names a kind: offer to keep only the entries of that kind."""
    selected = outcome.filters.get("kind", [])
    links = []
    for value in outcome.kinds:
        kind = EntryKind.from_value(value)
        if kind and value not in selected:
            links.append({"label": kind.plural, "href": _url(args, _with(outcome.filters, "kind", value))})
    return links


def _page_window(page: int, pages: int, radius: int = 2) -> list[int]:
    shown = {1, pages, *range(max(1, page - radius), min(pages, page + radius) + 1)}
    return sorted(shown)
