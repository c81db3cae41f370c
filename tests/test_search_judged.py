"""Relevance, measured on the judged query set (commons/search/judgements.toml) over the demo data.

Before the issue 8 work: success@3 0.727, MRR@10 0.706. The floors below are what the search
reaches now; a change that lowers them must say why, never special-case a judged query.
"""
from __future__ import annotations

import sqlalchemy as sa

from commons.editions.models import Edition, Workshop
from commons.entries.models import Entry
from commons.extensions import db
from commons.search.judged import engine_runner, evaluate, load, title_key
from commons.search.service import service

SUCCESS_AT_3_FLOOR = 0.98
MRR_AT_10_FLOOR = 0.97


def test_the_judged_set_is_large_and_speaks_of_real_outcomes(demo):
    judged = load()
    assert len(judged) >= 60
    titles = {title_key(t) for model in (Entry, Workshop) for t in db.session.scalars(sa.select(model.title))}
    titles |= {title_key(t) for t in db.session.scalars(sa.select(Edition.name))}
    unknown = {t for item in judged for t, _ in item.expect if t not in titles}
    assert unknown == set()


def test_relevance_does_not_go_down(client, demo):
    client.get("/recherche?q=x")  # the index catches up with the demo data
    report = evaluate(engine_runner(service()), load())
    missed = [(item.q, rank, top) for item, rank, top in report.failures()]
    assert report.success_at_3 >= SUCCESS_AT_3_FLOOR, missed
    assert report.mrr_at_10 >= MRR_AT_10_FLOOR, missed
