"""Running a search: matching documents, facet counts, the page of hits, highlights.

Facet counts come from per-segment arrays (docnum → value) cached for as long as the
segment lives: Whoosh segments never change once written, so after an edit only the new
small segment is read, and counting a facet is one `Counter` over the matching docnums
instead of a walk over posting lists per value.
"""
from __future__ import annotations

import heapq
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain

from markupsafe import Markup, escape
from whoosh import highlight
from whoosh import query as wq

from commons.search import query as uq
from commons.search.analysis import french_analyzer, normalise
from commons.search.lexicon import cached as cached_lexicon
from commons.search.schema import SINGLE_FACETS
from commons.search.service import SearchService
from commons.search.suggest import suggest

PER_PAGE_MAX = 50
EXCERPT_CHARS = 220
_ANALYZER = french_analyzer()
SORTS = ("pertinence", "date")


@dataclass
class Hit:
    type: str
    id: int
    title: Markup
    excerpt: Markup
    kind: str | None
    edition: str | None
    edition_name: str | None
    workshop: str | None
    workshop_title: str | None
    tags: list[str]
    status: str
    date: datetime | None
    stored: dict


@dataclass
class Outcome:
    total: int
    page: int
    pages: int
    per_page: int
    hits: list[Hit]
    facets: dict[str, list[tuple[str, int]]]
    filters: dict[str, list[str]]
    suggestion: str | None = None
    has_text: bool = False
    words: list[str] = field(default_factory=list)


class MarkFormatter(highlight.Formatter):
    """Matched words in <mark>, everything else escaped."""

    def _text(self, text: str) -> str:
        return str(escape(text))

    def format_token(self, text, token, replace=False):
        return f"<mark>{escape(highlight.get_text(text, token, replace))}</mark>"


def _highlight(text: str, terms: frozenset[str], whole: bool = False) -> Markup:
    """Matched words of `text` in <mark>: a whole title, or up to two fragments of a body.
    Fragments start and end on token boundaries, so words are never cut."""
    if not text:
        return Markup("")
    if terms:
        tokens = highlight.set_matched_filter(_ANALYZER(text, chars=True, mode="query", removestops=False), terms)
        fragmenter = highlight.WholeFragmenter() if whole else highlight.ContextFragmenter(
            maxchars=EXCERPT_CHARS, surround=60)
        fragments = highlight.top_fragments(fragmenter.fragment_tokens(text, tokens), 2,
                                            highlight.BasicFragmentScorer(), highlight.FIRST, 1)
        if fragments:
            formatter = MarkFormatter()
            parts = []
            for fragment in fragments:
                html = formatter.format_fragment(fragment)
                if whole:
                    parts.append(html)
                    continue
                before = "… " if _WORDY.search(text, 0, fragment.startchar) else ""
                after = " …" if _WORDY.search(text, fragment.endchar) else ""
                parts.append(before + html + after)
            return Markup(" ".join(parts).replace("… …", "…"))
    if whole or len(text) <= EXCERPT_CHARS:
        return Markup(escape(text))
    cut = text[:EXCERPT_CHARS].rsplit(" ", 1)[0]
    return Markup(escape(cut) + " …")


_WORDY = re.compile(r"\w")


# --- per-segment facet arrays --------------------------------------------------------------------

def _segment_arrays(svc: SearchService, reader) -> dict:
    segment = reader.segment()
    key = (svc.root.current().name, segment.segment_id() if segment else id(reader))
    cached = svc.facet_cache.get(key)
    if cached is not None:
        return cached
    size = reader.doc_count_all()
    arrays = {}
    for name in SINGLE_FACETS:
        arrays[name] = list(reader.column_reader(name, translate=True)) if reader.has_column(name) else [None] * size
    arrays["date"] = list(reader.column_reader("sort_date")) if reader.has_column("sort_date") else [0] * size
    tags: list[tuple[str, ...]] = [()] * size
    if "tag" in reader.indexed_field_names():
        for term in reader.field_terms("tag"):
            for docnum in reader.postings("tag", term).all_ids():
                tags[docnum] = tags[docnum] + (term,)
    arrays["tag"] = tags
    svc.facet_cache[key] = arrays
    return arrays


def _global_arrays(svc: SearchService, searcher) -> dict:
    """Arrays for the whole searcher (segments concatenated), memoised on the searcher."""
    arrays = getattr(searcher, "_commons_facets", None)
    if arrays is None:
        parts = [_segment_arrays(svc, r) for r, _ in searcher.reader().leaf_readers()]
        arrays = {name: list(chain.from_iterable(p[name] for p in parts)) for name in parts[0]} if parts else {}
        live = {(svc.root.current().name, r.segment().segment_id()) for r, _ in searcher.reader().leaf_readers()
                if r.segment()}
        for stale in [k for k in svc.facet_cache if k not in live]:
            del svc.facet_cache[stale]
        searcher._commons_facets = arrays
    return arrays


# --- search --------------------------------------------------------------------------------------

def _matching(searcher, q: wq.Query) -> list[int]:
    if isinstance(q, wq.Every):
        reader = searcher.reader()
        return list(reader.all_doc_ids())
    return list(searcher.docs_for_query(q))


def search(svc: SearchService, raw_query: str, filters: dict[str, list[str]], page: int = 1,
           per_page: int = 20, sort: str = "pertinence") -> Outcome:
    parsed = uq.parse(raw_query)
    filters = {k: list(v) for k, v in filters.items() if v}
    for name, values in parsed.filters.items():
        filters.setdefault(name, []).extend(values)
    filters = {k: list(dict.fromkeys(uq.normalise_filter(k, v) for v in vs if v.strip()))
               for k, vs in filters.items()}
    filters = {k: v for k, v in filters.items() if v}
    statuses = filters.get("status") or ["publiee"]

    svc.prepare_search()
    searcher = svc.searcher()
    text_q = uq.text_query(parsed)
    parts = [text_q] if text_q is not None else []
    parts += [uq.filter_query(name, values) for name, values in filters.items() if name != "status"]
    base = wq.And(parts) if len(parts) > 1 else (parts[0] if parts else wq.Every())
    excluded = uq.excluded_query(parsed)
    if excluded is not None:
        base = wq.AndNot(base, excluded)

    arrays = _global_arrays(svc, searcher)
    base_docs = _matching(searcher, base)
    status_arr = arrays.get("status", [])
    status_counts = Counter(status_arr[d] for d in base_docs)
    wanted = set(statuses)
    docs = [d for d in base_docs if status_arr[d] in wanted]

    facets = {"status": status_counts.most_common()}
    for name in ("type", "kind", "edition", "workshop"):
        values = arrays[name]
        facets[name] = [(v, n) for v, n in Counter(values[d] for d in docs).most_common() if v]
    tag_arr = arrays["tag"]
    facets["tag"] = Counter(chain.from_iterable(tag_arr[d] for d in docs)).most_common()

    total = len(docs)
    per_page = max(1, min(per_page, PER_PAGE_MAX))
    pages = max(1, -(-total // per_page))
    page = max(1, min(page, pages))
    start = (page - 1) * per_page
    if text_q is not None and sort != "date":
        page_docs = _ranked_page(searcher, text_q, docs, start, per_page)
    else:
        dates = arrays["date"]
        page_docs = heapq.nlargest(start + per_page, docs, key=lambda d: (dates[d] or 0, d))[start:]

    terms = frozenset(t for t in (normalise(w) for w in parsed.text_words()) if t)
    hits = [_hit(searcher.stored_fields(d), terms) for d in page_docs]
    outcome = Outcome(total, page, pages, per_page, hits, facets, filters,
                      has_text=parsed.has_text, words=parsed.text_words())
    if parsed.has_text:
        lexicon = cached_lexicon(svc.root.current().path)
        outcome.suggestion = suggest(lexicon, parsed, raw_query, total, lambda q: _count(searcher, q, base, text_q, status_arr, wanted))
    return outcome


def _count(searcher, new_text_q, base, old_text_q, status_arr, wanted) -> int:
    """How many documents a corrected query would match with the same filters."""
    q = _replace(base, old_text_q, new_text_q)
    return sum(1 for d in searcher.docs_for_query(q) if status_arr[d] in wanted)


def _replace(q: wq.Query, old: wq.Query, new: wq.Query) -> wq.Query:
    if q is old:
        return new
    if isinstance(q, wq.AndNot):
        return wq.AndNot(_replace(q.a, old, new), q.b)
    if isinstance(q, wq.And):
        return wq.And([_replace(s, old, new) for s in q.subqueries])
    return q


def _ranked_page(searcher, text_q: wq.Query, docs: list[int], start: int, per_page: int) -> list[int]:
    """Top hits by BM25F among `docs` (already filtered): scoring only walks the text query's
    postings, restricted to the allowed docnums."""
    results = searcher.search(text_q, limit=start + per_page, filter=set(docs) if docs else {-1})
    return [hit.docnum for hit in results][start:]


def _hit(stored: dict, terms: frozenset[str]) -> Hit:
    tags = (stored.get("tag") or "").split()
    return Hit(
        type=stored["type"], id=stored["doc_id"],
        title=_highlight(stored.get("title", ""), terms, whole=True),
        excerpt=_highlight(stored.get("body", ""), terms),
        kind=stored.get("kind"), edition=stored.get("edition"), edition_name=stored.get("edition_name"),
        workshop=stored.get("workshop"), workshop_title=stored.get("workshop_title"),
        tags=tags, status=stored.get("status", "publiee"), date=stored.get("date"), stored=stored,
    )
