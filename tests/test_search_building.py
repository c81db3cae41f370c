"""A rebuild written by several processes gives the index a single process writes."""
from __future__ import annotations

import pytest

from commons.search import building
from commons.search.check import compare
from commons.search.lexicon import Lexicon
from commons.search.service import service

pytestmark = pytest.mark.slow


def snapshot(svc) -> tuple:
    folder = svc.root.current()
    with folder.ix.searcher() as s:
        stored = sorted((f["key"], f.get("title", "")) for f in s.all_stored_fields())
        leaves = len(s.reader().leaf_readers()) if hasattr(s.reader(), "leaf_readers") else 1
        postings = {(field, text): sorted(s.reader().postings(field, text).all_ids())
                    for field in ("title", "body") for text in list(s.reader().field_terms(field))[:200]}
    return stored, leaves, postings, Lexicon.load(folder.path).counts


def test_parallel_rebuild_equals_a_single_process_one(app, demo, monkeypatch):
    svc = service(app)
    monkeypatch.setattr(building, "REBUILD_SEGMENT_DOCS", 25)  # several segments out of the demo
    app.config["SEARCH_REBUILD_PROCESSES"] = 1
    svc.config["SEARCH_REBUILD_PROCESSES"] = 1
    svc.rebuild(wait=30)
    alone = snapshot(svc)
    svc.config["SEARCH_REBUILD_PROCESSES"] = 2
    progress = []
    svc.rebuild(wait=60, progress=progress.append)
    together = snapshot(svc)
    assert alone[1] > 2 and together[1] == alone[1]  # one segment per chunk either way
    assert together[0] == alone[0] and together[3] == alone[3]
    # Same documents in the same order, so the same document numbers in every posting list.
    assert together[2] == alone[2]
    assert sum(progress) == len(alone[0])
    assert compare(svc).is_consistent
    assert not list(svc.root.path.glob(".build-*"))  # the scratch indexes are gone
