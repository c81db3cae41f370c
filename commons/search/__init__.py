"""Full-text search. The only package that imports Whoosh.

    analysis.py   French analyzer (fold accents, stop words, Snowball stems)
    schema.py     index fields and their version
    documents.py  document types: a row → index fields (entries, workshops, editions)
    hooks.py      session events writing the outbox in the writing transaction
    store.py      index folders on disk, pointer swap, applied state
    service.py    catching up from the outbox, rebuilds, cached searcher
    outbox.py     what a folder has applied of the outbox (watermark, gaps), what is pending
    applier.py    index work off the request path: a thread per process, or a worker
    query.py      the user's query syntax → Whoosh queries
    engine.py     searching: results, facets, highlights, suggestions
    docsets.py    matching documents as sets, from posting lists cached per segment
    ranking.py    exact BM25F and sort keys over whole columns (numpy)
    facets.py     facet counts from per-document columns (numpy), saved beside the segments
    check.py      index vs database comparison
    cli.py        `flask search reindex | check | apply`
    expand.py     query-time expansion: synonyms and compound words
    synonyms.py   the synonym sets (table search_synonyms, else the shipped defaults)
    admin.py      /admin/synonymes: admins edit the synonym sets
    outcomes.py   one result per outcome: the editions of one lineage collapse into one
    judged.py     relevance measured on judgements.toml (success@3, MRR@10)
    routes.py     /recherche
"""
from flask import Blueprint, Flask

bp = Blueprint("search", __name__)


def init_app(app: Flask) -> None:
    from commons.search import admin, cli, hooks, models, routes  # noqa: F401
    from commons.search.applier import ApplierMode

    mode = app.config.get("SEARCH_APPLIER", ApplierMode.THREAD.value)
    if mode not in {m.value for m in ApplierMode}:
        raise RuntimeError(f"SEARCH_APPLIER={mode!r} : valeurs possibles {', '.join(m.value for m in ApplierMode)}")
    hooks.install()
    app.register_blueprint(bp)
    app.cli.add_command(cli.search_group)
