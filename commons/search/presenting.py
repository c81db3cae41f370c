"""What both the page and the JSON API need from a search: parsed arguments, labels."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from commons.editions.models import Edition, Workshop
from commons.entries.models import EntryStatus, Tag
from commons.extensions import db
from commons.kinds import EntryKind
from commons.search.documents import REGISTRY
from commons.search.engine import Hit, SearchSort
from commons.search.query import MAX_QUERY_CHARS

FILTER_NAMES = ("type", "kind", "edition", "workshop", "tag", "status")
MAX_VALUES_PER_FILTER = 10
MAX_PAGE = 10_000


class BadSearchArgs(ValueError):
    pass


@dataclass
class SearchArgs:
    q: str
    filters: dict[str, list[str]]
    page: int
    sort: SearchSort
    exact: bool = False  # the words as typed, without showing the spelling suggestion's results instead


def parse_args(args: MultiDict, strict: bool) -> SearchArgs:
    """Read the query string. `strict` (the API) rejects a bad page with 400; the page
    clamps it instead, since a person following an old link deserves results."""
    q = (args.get("q") or "")[: MAX_QUERY_CHARS * 4]
    filters = {}
    for name in FILTER_NAMES:
        values = [v[:200] for v in args.getlist(name) if v and v.strip()][:MAX_VALUES_PER_FILTER]
        if values:
            filters[name] = values
    raw_page = (args.get("page") or "1").strip()
    try:
        page = int(raw_page)
    except ValueError:
        if strict:
            raise BadSearchArgs(_("Le numéro de page doit être un entier positif.")) from None
        page = 1
    if page < 1:
        if strict:
            raise BadSearchArgs(_("Le numéro de page doit être un entier positif.")) from None
        page = 1
    # The page says ?tri=, the API ?sort=; any value but "date" (e.g. "relevance") is relevance.
    sort = SearchSort.DATE if (args.get("tri") or args.get("sort")) == "date" else SearchSort.RELEVANCE
    return SearchArgs(q, filters, min(page, MAX_PAGE), sort, exact=args.get("exact") in ("1", "true", "oui"))


def illustrative_editions(slugs) -> set[str]:
    """The slugs, among `slugs`, of editions whose data is illustrative (invented for the demo)."""
    wanted = {s for s in slugs if s}
    if not wanted:
        return set()
    return set(db.session.scalars(sa.select(Edition.slug).where(Edition.slug.in_(wanted), Edition.is_illustrative)))


def also_links(hit: Hit) -> list[dict]:
    """The outcome's other editions: year, title, address (newest first)."""
    out = []
    for stored in hit.also:
        year = stored.get("year") or ""
        out.append({"year": int(year) if year.isdigit() else None, "title": stored.get("title", ""),
                    "edition": stored.get("edition"), "edition_name": stored.get("edition_name"),
                    "url": REGISTRY[stored["type"]].url(stored)})
    return out


def facet_labels(facets: dict[str, list[tuple[str, int]]], filters: dict[str, list[str]]) -> dict[str, dict[str, str]]:
    """Human labels for every facet value shown or selected."""
    wanted = {name: {v for v, _ in facets.get(name, [])} | set(filters.get(name, [])) for name in FILTER_NAMES}
    labels: dict[str, dict[str, str]] = {name: {} for name in FILTER_NAMES}
    for value in wanted["kind"]:
        kind = EntryKind.from_value(value)
        labels["kind"][value] = kind.label if kind else value
    for value in wanted["status"]:
        try:
            labels["status"][value] = EntryStatus(value).label
        except ValueError:
            labels["status"][value] = value
    for value in wanted["type"]:
        doc_type = REGISTRY.get(value)
        labels["type"][value] = str(doc_type.label) if doc_type else value
    if wanted["edition"]:
        slugs = [v for v in wanted["edition"] if not v.isdigit()]
        for slug, name in db.session.execute(sa.select(Edition.slug, Edition.name).where(Edition.slug.in_(slugs))):
            labels["edition"][slug] = name
        for value in wanted["edition"]:
            labels["edition"].setdefault(value, value)
    if wanted["workshop"]:
        workshop_slugs = {v.partition("/")[2] or v for v in wanted["workshop"]}
        rows = db.session.execute(
            sa.select(Edition.slug, Edition.name, Workshop.slug, Workshop.title)
            .join(Edition, Edition.id == Workshop.edition_id).where(Workshop.slug.in_(workshop_slugs))
        )
        for edition_slug, edition_name, slug, title in rows:
            # Copied programmes repeat titles: the edition tells the sessions apart.
            labels["workshop"][f"{edition_slug}/{slug}"] = _("%(title)s (%(edition)s)", title=title,
                                                            edition=edition_name)
            labels["workshop"].setdefault(slug, title)
        for value in wanted["workshop"]:
            labels["workshop"].setdefault(value, value)
    if wanted["tag"]:
        for slug, name in db.session.execute(sa.select(Tag.slug, Tag.name).where(Tag.slug.in_(wanted["tag"]))):
            labels["tag"][slug] = name
        for value in wanted["tag"]:
            labels["tag"].setdefault(value, value)
    return labels
