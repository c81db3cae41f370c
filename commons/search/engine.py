"""Running a search: matching documents, facet counts, the page of hits, highlights.

Matching and facet counts are set operations on cached posting lists (docsets.py); only a
pool of likely-best documents is scored (BM25F), and only the page's hits are highlighted.
"""
from __future__ import annotations

import enum
import heapq
import math
import re
from dataclasses import dataclass, field
from datetime import datetime

from markupsafe import Markup, escape
from whoosh import highlight
from whoosh import query as wq

from commons.search import query as uq
from commons.search.analysis import french_analyzer, normalise
from commons.search.docsets import DocSets, docsets
from commons.search.documents import PUBLISHED
from commons.search.expand import Expander
from commons.search.lexicon import cached as cached_lexicon
from commons.search.outcomes import Lineages, also
from commons.search.service import SearchService
from commons.search.suggest import suggest
from commons.search.synonyms import synonym_sets

PER_PAGE_MAX = 50
POOL_MIN = 200
POOL_FACTOR = 3  # the pool holds at least this many times the documents asked for
# A word naming a kind ("valeurs") counts, for the entries of that kind, as a title match.
KIND_BOOST = 2.0
EXCERPT_CHARS = 220
_ANALYZER = french_analyzer()


class SearchSort(enum.StrEnum):
    """The orders a search offers; the values are what the URL says (?tri=date)."""

    RELEVANCE = "pertinence"
    DATE = "date"


class Fallback(enum.StrEnum):
    """Why the results shown are not those of the query as typed (which found nothing)."""

    SUGGESTION = "suggestion"  # the spelling suggestion's results
    ANY_WORD = "any_word"  # documents with any of the words, the most words first


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
    # The outcome's other editions (stored fields, newest first): "aussi en 2023".
    also: list[dict] = field(default_factory=list)


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
    # Set when the query as typed found nothing and other results are shown instead.
    fallback: Fallback | None = None
    searched: str | None = None  # the query whose results are shown, when it is the suggestion
    kinds: list[str] = field(default_factory=list)  # kinds named by a word of the query


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


# --- search --------------------------------------------------------------------------------------

def _merged_filters(parsed: uq.ParsedQuery, filters: dict[str, list[str]]) -> dict[str, list[str]]:
    """The URL's filters and the query's own (`tag:…`), as the index stores their values."""
    merged = {k: list(v) for k, v in filters.items() if v}
    for name, values in parsed.filters.items():
        merged.setdefault(name, []).extend(values)
    merged = {k: list(dict.fromkeys(uq.normalise_filter(k, v) for v in vs if v.strip())) for k, vs in merged.items()}
    return {k: v for k, v in merged.items() if v}


def _base_query(parsed: uq.ParsedQuery, text_q: wq.Query | None, filters: dict[str, list[str]]) -> wq.Query:
    parts = [text_q] if text_q is not None else []
    parts += [uq.filter_query(name, values) for name, values in filters.items() if name != "status"]
    base_q = wq.And(parts) if len(parts) > 1 else (parts[0] if parts else wq.Every())
    excluded = uq.excluded_query(parsed)
    return wq.AndNot(base_q, excluded) if excluded is not None else base_q


@dataclass
class _Search:
    """One search request: the searcher, the filters and the page, for one or more queries."""

    svc: SearchService
    searcher: object
    sets: DocSets
    filters: dict[str, list[str]]
    page: int
    per_page: int
    sort: SearchSort
    expander: Expander
    _allowed: set[int] | None = None

    def allowed(self) -> set[int]:
        if self._allowed is None:
            self._allowed = set()
            for status in self.filters.get("status") or [PUBLISHED]:
                self._allowed |= self.sets.term("status", status)
        return self._allowed

    def run(self, parsed: uq.ParsedQuery, any_word: bool = False) -> tuple[Outcome, wq.Query, wq.Query | None]:
        """The outcome of one (expanded) query; with `any_word`, its groups become alternatives.
        Totals, facet counts and pages count outcomes: the editions of one lineage are one."""
        groups = [[c for g in parsed.groups for c in g]] if any_word else parsed.groups
        matching = uq.ParsedQuery(groups, parsed.excluded, parsed.filters)
        text_q = uq.text_query(matching)
        base_q = _base_query(parsed, text_q, self.filters)
        base = self.sets.evaluate(base_q)
        lineages = Lineages.among(self.sets, self.searcher, base)
        docs = base & self.allowed()
        total = lineages.total(docs)
        pages = max(1, -(-total // self.per_page))
        page = max(1, min(self.page, pages))
        start = (page - 1) * self.per_page
        ordered = _page(self.svc, self.searcher, self.sets, parsed, docs, 0,
                        start + self.per_page + lineages.hidden(docs),
                        ranked=text_q is not None and self.sort is not SearchSort.DATE, coverage=any_word)
        page_docs = lineages.collapse(ordered, docs)[start:start + self.per_page]
        terms = frozenset(t for t in (normalise(w) for w in parsed.text_words()) if t)
        hits = [self._hit(d, terms) for d in page_docs]
        outcome = Outcome(total, page, pages, self.per_page, hits, self._facets(lineages, base, docs), self.filters,
                          has_text=parsed.has_text, words=parsed.text_words(), kinds=parsed.kinds())
        return outcome, base_q, text_q

    def _facets(self, lineages: Lineages, base: frozenset[int], docs: frozenset[int]) -> dict:
        # Status counts ignore the status filter, so that "Archivée (3)" can be offered.
        facets = {"status": lineages.counts("status", self.sets.counts("status", base), base)}
        for name in ("type", "kind", "edition", "workshop", "tag"):
            facets[name] = lineages.counts(name, self.sets.counts(name, docs), docs)
        return facets

    def _hit(self, docnum: int, terms: frozenset[str]) -> Hit:
        stored = self.searcher.stored_fields(docnum)
        hit = _hit(stored, terms)
        hit.also = also(self.sets, self.searcher, stored, docnum, self.allowed())
        return hit


def search(svc: SearchService, raw_query: str, filters: dict[str, list[str]], page: int = 1,
           per_page: int = 20, sort: SearchSort = SearchSort.RELEVANCE, exact: bool = False) -> Outcome:
    """Search; when the query as typed finds nothing, show the spelling suggestion's results
    (unless `exact`), else those of any of its words, and say so (`Outcome.fallback`)."""
    typed = uq.parse(raw_query)
    svc.prepare_search()
    searcher = svc.searcher()
    context = _Search(svc, searcher, docsets(searcher, svc.postings_cache), _merged_filters(typed, filters),
                      page, max(1, min(per_page, PER_PAGE_MAX)), sort, _expander(searcher))
    outcome, base_q, text_q = context.run(context.expander.expand(typed))
    if not typed.has_text:
        return outcome
    lexicon = cached_lexicon(svc.root.current().path)
    allowed = context.allowed()
    outcome.suggestion = suggest(lexicon, typed, raw_query, outcome.total,
                                 lambda q: len(context.sets.evaluate(_replace(base_q, text_q, q)) & allowed))
    if outcome.total:
        return outcome
    return _fallback(context, typed, outcome, exact) or outcome


def _fallback(context: _Search, typed: uq.ParsedQuery, empty: Outcome, exact: bool) -> Outcome | None:
    if empty.suggestion and not exact:
        fixed = uq.parse(empty.suggestion)
        outcome = context.run(context.expander.expand(fixed))[0]
        if outcome.total:
            outcome.fallback, outcome.searched = Fallback.SUGGESTION, empty.suggestion
            outcome.suggestion = empty.suggestion
            return outcome
    if len(typed.groups) > 1:
        outcome = context.run(context.expander.expand(typed), any_word=True)[0]
        if outcome.total:
            outcome.fallback, outcome.suggestion = Fallback.ANY_WORD, empty.suggestion
            return outcome
    return None


def _expander(searcher) -> Expander:
    reader = searcher.reader()

    def known(stem: str) -> bool:
        return any(reader.doc_frequency(name, stem) for name in uq.TEXT_FIELDS)

    return Expander(synonym_sets(), known)


def _page(svc: SearchService, searcher, sets: DocSets, parsed: uq.ParsedQuery, docs: frozenset[int], start: int,
          per_page: int, ranked: bool, coverage: bool = False) -> list[int]:
    """The document numbers of one page: by relevance (first by how many of the query's
    groups a document matches, with `coverage`), or newest first."""
    dates = _dates(svc, searcher)
    if ranked:
        return _ranked(sets, searcher, parsed, docs, dates, start + per_page, coverage)[start:]
    return heapq.nlargest(start + per_page, docs, key=lambda d: (dates[d], d))[start:]


def _replace(q: wq.Query, old: wq.Query, new: wq.Query) -> wq.Query:
    if q is old:
        return new
    if isinstance(q, wq.AndNot):
        return wq.AndNot(_replace(q.a, old, new), q.b)
    if isinstance(q, wq.And):
        return wq.And([_replace(s, old, new) for s in q.subqueries])
    return q


# --- dates and ranking -------------------------------------------------------------------------

def _dates(svc: SearchService, searcher) -> list[int]:
    """docnum → sort key of the date column, per segment cached for the segment's life."""
    dates = getattr(searcher, "_commons_dates", None)
    if dates is None:
        dates, live = [], set()
        for reader, _ in searcher.reader().leaf_readers():
            segment = reader.segment()
            key = segment.segment_id() if segment else id(reader)
            live.add(key)
            part = svc.facet_cache.get(key)
            if part is None:
                part = list(reader.column_reader("sort_date")) if reader.has_column("sort_date") \
                    else [0] * reader.doc_count_all()
                svc.facet_cache[key] = part
            dates.extend(part)
        for stale in [k for k in svc.facet_cache if k not in live]:  # merged-away segments
            del svc.facet_cache[stale]
        searcher._commons_dates = dates
    return dates


def _bm25(sets: DocSets, searcher, docs: list[int], groups: list[list[str]],
          kinds: list[str] = ()) -> dict[int, float]:
    """BM25F over a small pool of documents: for each term, each text field adds
    idf × tf·(k1+1) / (tf + k1·(1 − b + b·len/avglen)); stored tfs carry the field boost.
    A kind named in the query adds idf × KIND_BOOST to the entries of that kind."""
    k1, b = 1.2, 0.75
    n = max(1, searcher.doc_count())
    scores = dict.fromkeys(docs, 0.0)
    for kind in kinds:
        of_kind = sets.term("kind", kind)
        idf = math.log(1 + (n - len(of_kind) + 0.5) / (len(of_kind) + 0.5))
        for d in of_kind.intersection(docs):
            scores[d] += idf * KIND_BOOST
    reader = searcher.reader()
    for fieldname in uq.TEXT_FIELDS:
        avg = searcher.avg_field_length(fieldname) or 1.0
        lengths = {d: reader.doc_field_length(d, fieldname, 0) for d in docs}
        for group in groups:
            for term in group:
                df = len(sets.term(fieldname, term))
                if not df:
                    continue
                idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
                for d in docs:
                    tf = sets.weight(d, fieldname, term)
                    if tf:
                        scores[d] += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * lengths[d] / avg))
    return scores


def _ranked(sets: DocSets, searcher, parsed: uq.ParsedQuery, docs: frozenset[int], dates: list[int],
            needed: int, coverage: bool = False) -> list[int]:
    """The first `needed` documents by relevance, exactly as if every match were scored.

    Scoring every match in Python costs ~10 µs a document: half a second for the commonest
    words of 100,000 entries. So a pool is chosen first with set operations — documents with
    the words in their title or tags, most words first, then the most recent — filled up
    with body-only matches by date, and only the pool is scored with BM25F. The pool's answer
    is kept only when no document outside it can reach its last place (`_proven`: an upper
    bound of BM25F for the documents left out); otherwise every match is scored.
    """
    pool_size = max(POOL_MIN, needed * POOL_FACTOR)
    groups = [[t for c in group for t in _clause_terms(c)] for group in parsed.groups]
    kinds = parsed.kinds()
    strong = _strong(sets, groups, kinds, docs)
    covered = _coverage(sets, parsed, docs) if coverage else None
    cover = covered.__getitem__ if covered is not None else (lambda d: 0)
    pool = heapq.nlargest(pool_size, strong, key=lambda d: (cover(d), strong[d], dates[d], d))
    if len(pool) < pool_size:
        rest = docs - strong.keys() if strong else docs
        pool += heapq.nlargest(pool_size - len(pool), rest, key=lambda d: (cover(d), dates[d], d))
    scores = _bm25(sets, searcher, pool, groups, kinds)
    order = sorted(pool, key=lambda d: (-cover(d), -scores[d], -dates[d], d))[:needed]
    if len(pool) < len(docs) and not _proven(sets, searcher, groups, kinds, docs, pool, strong, order, scores, cover):
        scores = _bm25(sets, searcher, list(docs), groups, kinds)
        order = sorted(docs, key=lambda d: (-cover(d), -scores[d], -dates[d], d))[:needed]
    return order


def _strong(sets: DocSets, groups: list[list[str]], kinds: list[str], docs: frozenset[int]) -> dict[int, float]:
    """Documents with a word in their title or tags, or of a kind the query names: a weight."""
    strong: dict[int, float] = {}
    for group in groups:
        for fieldname in ("title", "tag_text"):
            hit: set[int] = set()
            for term in group:
                hit |= sets.term(fieldname, term)
            boost = uq.TEXT_FIELDS[fieldname]
            for d in hit & docs:
                strong[d] = strong.get(d, 0.0) + boost
    for kind in kinds:
        for d in sets.term("kind", kind) & docs:
            strong[d] = strong.get(d, 0.0) + uq.TEXT_FIELDS["title"]
    return strong


def _proven(sets: DocSets, searcher, groups, kinds, docs, pool, strong, order, scores, cover) -> bool:
    """True when no match outside the pool can rank before the pool's last kept document.

    BM25F's term part idf·tf·(k1+1)/(tf + k1·(1−b+b·len/avg)) grows with tf and shrinks with
    len: the term's highest weight and the field's shortest length in the index bound it. A
    document outside a pool that holds every title, tag or kind match can only score in the body.
    """
    if not order:
        return True
    outside = docs.difference(pool)
    last = order[-1]
    best_cover = max(map(cover, outside), default=0)
    if best_cover != cover(last):
        return best_cover < cover(last)
    fieldnames = ("body",) if strong.keys() <= set(pool) else tuple(uq.TEXT_FIELDS)
    bound = _score_bound(sets, searcher, groups, fieldnames)
    if fieldnames != ("body",):
        n = max(1, searcher.doc_count())
        for kind in kinds:
            df = len(sets.term("kind", kind))
            bound += math.log(1 + (n - df + 0.5) / (df + 0.5)) * KIND_BOOST
    return bound * (1 + 1e-9) < scores[last]


def _score_bound(sets: DocSets, searcher, groups: list[list[str]], fieldnames) -> float:
    k1, b = 1.2, 0.75
    n = max(1, searcher.doc_count())
    reader = searcher.reader()
    bound = 0.0
    for fieldname in fieldnames:
        avg = searcher.avg_field_length(fieldname) or 1.0
        for term in (t for group in groups for t in group):  # as _bm25 counts them, repeats included
            df = len(sets.term(fieldname, term))
            if not df:
                continue
            info = reader.term_info(fieldname, term)
            tf, length = info.max_weight(), info.min_length()
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            bound += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / avg))
    return bound


def _coverage(sets: DocSets, parsed: uq.ParsedQuery, pool) -> dict[int, int]:
    """How many of the query's groups (typed words, or their expansions) each document matches."""
    covered = dict.fromkeys(pool, 0)
    for group in parsed.groups:
        query = uq.text_query(uq.ParsedQuery([group]))
        matched = sets.evaluate(query) if query is not None else frozenset()
        for d in matched.intersection(pool):
            covered[d] += 1
    return covered


def _clause_terms(clause: uq.Clause) -> list[str]:
    return [t for t in (normalise(w) for w in clause.words) if t]


def _hit(stored: dict, terms: frozenset[str]) -> Hit:
    tags = (stored.get("tag") or "").split()
    return Hit(
        type=stored["type"], id=stored["doc_id"],
        title=_highlight(stored.get("title", ""), terms, whole=True),
        excerpt=_highlight(stored.get("body", ""), terms),
        kind=stored.get("kind"), edition=stored.get("edition"), edition_name=stored.get("edition_name"),
        workshop=stored.get("workshop"), workshop_title=stored.get("workshop_title"),
        tags=tags, status=stored.get("status", PUBLISHED), date=stored.get("date"), stored=stored,
    )
