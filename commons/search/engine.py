"""Running a search: matching documents, facet counts, the page of hits, highlights.

Matching and facet counts are set operations on cached posting lists (docsets.py); every
match is scored (BM25F, ranking.py), and only the page's hits are highlighted.
"""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from markupsafe import Markup, escape
from whoosh import highlight
from whoosh import query as wq

from commons.search import query as uq
from commons.search import ranking
from commons.search.analysis import french_analyzer, normalise
from commons.search.docsets import DocSets, docsets
from commons.search.documents import PUBLISHED
from commons.search.expand import Expander
from commons.search.facets import facets as facets_of
from commons.search.lexicon import cached as cached_lexicon
from commons.search.outcomes import Lineages, also
from commons.search.service import SearchService
from commons.search.suggest import suggest
from commons.search.synonyms import synonym_sets

PER_PAGE_MAX = 50
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
    _allowed: np.ndarray | None = None

    def allowed(self) -> np.ndarray:
        """Which documents have a status the search shows (a mask over every document)."""
        if self._allowed is None:
            columns = facets_of(self.svc.facet_cache, self.searcher)
            self._allowed = columns.having("status", self.filters.get("status") or [PUBLISHED])
        return self._allowed

    def only_allowed(self, docs: frozenset[int]) -> frozenset[int]:
        if not docs:
            return frozenset()
        idx = np.fromiter(docs, dtype=np.int64, count=len(docs))
        return frozenset(idx[self.allowed()[idx]].tolist())

    def run(self, parsed: uq.ParsedQuery, any_word: bool = False) -> tuple[Outcome, wq.Query, wq.Query | None]:
        """The outcome of one (expanded) query; with `any_word`, its groups become alternatives.
        Totals, facet counts and pages count outcomes: the editions of one lineage are one."""
        groups = [[c for g in parsed.groups for c in g]] if any_word else parsed.groups
        matching = uq.ParsedQuery(groups, parsed.excluded, parsed.filters)
        text_q = uq.text_query(matching)
        base_q = _base_query(parsed, text_q, self.filters)
        base = self.sets.evaluate(base_q)
        lineages = Lineages.of(ranking.columns(self.svc.facet_cache, self.searcher))
        docs = self.only_allowed(base)
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
        columns = facets_of(self.svc.facet_cache, self.searcher)
        # Status counts ignore the status filter, so that "Archivée (3)" can be offered.
        found = {"status": columns.counts("status", columns.mask(base), lineages)}
        mask = columns.mask(docs)
        for name in ("type", "kind", "edition", "workshop", "tag"):
            found[name] = columns.counts(name, mask, lineages)
        return found

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
    # Whoosh without mmap reads a searcher's files by seek + read on shared handles: two
    # threads reading at once would interleave and read garbage ("damaged postings block").
    # One search at a time per process; searches are CPU-bound, the GIL allowed no more.
    with svc.reading:
        return _search(svc, typed, raw_query, filters, page, per_page, sort, exact)


def _search(svc: SearchService, typed: uq.ParsedQuery, raw_query: str, filters: dict[str, list[str]], page: int,
            per_page: int, sort: SearchSort, exact: bool) -> Outcome:
    searcher = svc.searcher()
    context = _Search(svc, searcher, docsets(searcher, svc.postings_cache), _merged_filters(typed, filters),
                      page, max(1, min(per_page, PER_PAGE_MAX)), sort, _expander(searcher))
    outcome, base_q, text_q = context.run(context.expander.expand(typed))
    if not typed.has_text:
        return outcome
    lexicon = cached_lexicon(svc.root.current().path)
    outcome.suggestion = suggest(lexicon, typed, raw_query, outcome.total,
                                 lambda q: len(context.only_allowed(context.sets.evaluate(_replace(base_q, text_q, q)))))
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
    cols = ranking.columns(svc.facet_cache, searcher)
    if not ranked:
        return ranking.top(docs, start + per_page, cols.dates)[start:]
    groups = [[t for c in group for t in _clause_terms(c)] for group in parsed.groups]
    scores = ranking.bm25f(sets, searcher, cols, groups, parsed.kinds())
    keys = (_coverage(sets, parsed, docs), scores, cols.dates) if coverage else (scores, cols.dates)
    return ranking.top(docs, start + per_page, *keys)[start:]


def _replace(q: wq.Query, old: wq.Query, new: wq.Query) -> wq.Query:
    if q is old:
        return new
    if isinstance(q, wq.AndNot):
        return wq.AndNot(_replace(q.a, old, new), q.b)
    if isinstance(q, wq.And):
        return wq.And([_replace(s, old, new) for s in q.subqueries])
    return q


# --- ranking ---------------------------------------------------------------------------------

def _coverage(sets: DocSets, parsed: uq.ParsedQuery, docs: frozenset[int]) -> np.ndarray:
    """How many of the query's groups (typed words, or their expansions) each document matches."""
    covered = np.zeros(sets.reader.doc_count_all(), dtype=np.int64)
    for group in parsed.groups:
        query = uq.text_query(uq.ParsedQuery([group]))
        matched = sets.evaluate(query) & docs if query is not None else frozenset()
        covered[np.fromiter(matched, dtype=np.int64, count=len(matched))] += 1
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
