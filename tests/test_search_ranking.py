"""Exact ranking: every match is scored with BM25F (ranking.py, vectorised); checked against
a plain per-document BM25F read through Whoosh's own accessors, on the judged queries over
the demo, over several segments with deletions."""
from __future__ import annotations

import math

import numpy as np
import pytest
import sqlalchemy as sa

from commons.entries.models import Entry
from commons.entries.services import revise_entry
from commons.extensions import db
from commons.search import engine, ranking
from commons.search import query as uq
from commons.search.docsets import docsets
from commons.search.judged import load
from commons.search.service import service

EXTRA = ["numérique", "médiation numérique", "atelier", "école OR familles", "les valeurs", "animer un atelier collectif",
         "inclusion -sociale", "accompagner les usagers vers l'autonomie"]


def reference_scores(sets, searcher, groups, kinds, docs) -> dict[int, float]:
    """BM25F the slow, obvious way: one document at a time, Whoosh's field lengths."""
    k1, b, n = ranking.K1, ranking.B, max(1, searcher.doc_count())
    reader = searcher.reader()
    scores = dict.fromkeys(docs, 0.0)
    for kind in kinds:
        df = len(sets.term("kind", kind))
        for d in sets.term("kind", kind) & docs:
            scores[d] += math.log(1 + (n - df + 0.5) / (df + 0.5)) * ranking.KIND_BOOST
    for fieldname in uq.TEXT_FIELDS:
        avg = searcher.avg_field_length(fieldname) or 1.0
        for term in (t for g in groups for t in g):
            df = len(sets.term(fieldname, term))
            if not df:
                continue
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            for d in docs:
                tf = sets.weight(d, fieldname, term)
                if tf:
                    length = reader.doc_field_length(d, fieldname, 0)
                    scores[d] += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / avg))
    return scores


@pytest.fixture
def segmented(app, client, demo):
    """The demo in one segment, then edits in a second one (deletions in the first)."""
    svc = service(app)
    svc.rebuild(wait=30)
    for entry in db.session.scalars(sa.select(Entry).order_by(Entry.id).limit(6)):
        revise_entry(entry, base_revision=entry.revision_number, author=None, kind=entry.kind, title=entry.title,
                     body=entry.body + " Accueil et médiation numérique, atelier revu.", tags=entry.tag_names,
                     workshop=entry.workshop)
    db.session.commit()
    assert svc.catch_up(timeout=5)
    searcher = svc.searcher()
    assert len(searcher.reader().leaf_readers()) >= 2 and searcher.reader().has_deletions()
    return svc, searcher


def test_vectorised_scores_equal_the_per_document_reference(segmented):
    svc, searcher = segmented
    sets = docsets(searcher, svc.postings_cache)
    cols = ranking.columns(svc.facet_cache, searcher)
    for q in [item.q for item in load()] + EXTRA:
        parsed = uq.parse(q)
        base = sets.evaluate(uq.text_query(parsed) or uq.wq.Every())
        groups = [[t for c in group for t in engine._clause_terms(c)] for group in parsed.groups]
        fast = ranking.bm25f(sets, searcher, cols, groups, parsed.kinds())
        slow = reference_scores(sets, searcher, groups, parsed.kinds(), base)
        for d, expected in slow.items():
            assert math.isclose(fast[d], expected, rel_tol=1e-6, abs_tol=1e-9), (q, d, fast[d], expected)


def test_columns_equal_whoosh_per_document_values(segmented):
    svc, searcher = segmented
    cols = ranking.columns(svc.facet_cache, searcher)
    reader = searcher.reader()
    dates = reader.column_reader("sort_date")
    for d in range(reader.doc_count_all()):
        assert cols.dates[d] == dates[d]
        for fieldname in uq.TEXT_FIELDS:
            assert cols.lengths[fieldname][d] == (reader.doc_field_length(d, fieldname, 0) or 0)


def test_top_orders_by_keys_then_document_number():
    docs = frozenset({0, 1, 2, 3, 4})
    first = np.array([1, 3, 3, 0, 3])
    second = np.array([9, 1, 2, 9, 1])
    assert ranking.top(docs, 5, first, second) == [2, 1, 4, 0, 3]
    assert ranking.top(docs, 2, first, second) == [2, 1]
    assert ranking.top(frozenset(), 3, first) == []
