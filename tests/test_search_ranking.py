"""Exact ranking: BM25F scores only a pool of likely hits, and keeps the pool's answer only when
no match left out can reach its last place; otherwise it scores every match. Checked against
scoring every match, on the judged queries over the demo, with pools small enough that the
bound is what decides."""
from __future__ import annotations

import pytest

from commons.search import engine
from commons.search.judged import load
from commons.search.service import service

EXTRA = ["numérique", "médiation numérique", "atelier", "école OR familles", "les valeurs", "animer un atelier collectif",
         "inclusion -sociale", "accompagner les usagers vers l'autonomie"]


def _top(q: str, per_page: int = 20, page: int = 1) -> list[tuple[str, int]]:
    outcome = engine.search(service(), q, {}, page=page, per_page=per_page)
    return [(hit.type, hit.id) for hit in outcome.hits]


@pytest.mark.parametrize("pool_min", [1, 5, 20])
def test_the_pool_never_changes_the_top_20(client, demo, monkeypatch, pool_min):
    client.get("/recherche?q=x")  # the index catches up with the demo data
    queries = [item.q for item in load()] + EXTRA
    monkeypatch.setattr(engine, "POOL_MIN", 10**9)  # every match scored
    exact = {q: (_top(q), _top(q, 5, 2)) for q in queries}
    monkeypatch.setattr(engine, "POOL_MIN", pool_min)
    monkeypatch.setattr(engine, "POOL_FACTOR", 1)
    decided = {"proven": 0, "scored all": 0}
    proven = engine._proven

    def counting(*args):
        result = proven(*args)
        decided["proven" if result else "scored all"] += 1
        return result

    monkeypatch.setattr(engine, "_proven", counting)
    pooled = {q: (_top(q), _top(q, 5, 2)) for q in queries}
    assert pooled == exact
    assert decided["proven"] + decided["scored all"] > 0  # the pools were smaller than the matches
    print(f"pool_min={pool_min}: {decided}")
