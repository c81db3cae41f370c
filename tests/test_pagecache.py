"""Pages for anonymous readers are rendered once per change of the data (commons/pagecache.py)."""
from __future__ import annotations

from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from commons.entries.models import Entry
from commons.entries.services import revise_entry
from commons.extensions import db
from commons.pagecache import DataGeneration


@contextmanager
def statements(app):
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)


def generation() -> int | None:
    return db.session.scalar(sa.select(DataGeneration.value))


def anonymous(app):
    return app.test_client()  # a new client: no cookie jar from earlier requests


def test_a_second_visit_is_served_without_rendering(app, entry):
    url = f"/fiches/{entry.id}"
    first = anonymous(app).get(url)
    with statements(app) as seen:
        second = anonymous(app).get(url)
    assert second.status_code == 200 and second.data == first.data
    assert len(seen) == 1 and "data_generation" in seen[0]  # the generation, nothing else
    assert second.headers["ETag"] and second.headers["Content-Security-Policy"]
    again = anonymous(app).get(url, headers={"If-None-Match": second.headers["ETag"]})
    assert again.status_code == 304


def test_any_write_shows_at_once(app, entry):
    url = f"/fiches/{entry.id}"
    assert "Accueil inconditionnel" in anonymous(app).get(url).get_data(as_text=True)
    before = generation()
    revise_entry(entry, base_revision=entry.revision_number, author=None, kind=entry.kind, title="Accueil sans condition",
                 body=entry.body, tags=entry.tag_names, workshop=entry.workshop)
    db.session.commit()
    assert generation() > before
    page = anonymous(app).get(url).get_data(as_text=True)
    assert "Accueil sans condition" in page and "Accueil inconditionnel" not in page.split("<main", 1)[1][:2000]


def test_a_rolled_back_change_does_not_bump(app, entry):
    before = generation()
    entry.title = "Brouillon"
    db.session.flush()
    db.session.rollback()
    db.session.execute(sa.select(Entry.id)).all()
    db.session.commit()  # a read-only transaction
    assert generation() == before


def test_a_reader_with_a_cookie_never_gets_a_kept_page(app, entry, contributor_client):
    url = f"/fiches/{entry.id}"
    anonymous(app).get(url)
    anonymous(app).get(url)  # kept now
    signed_in = contributor_client.get(url).get_data(as_text=True)
    assert "Se déconnecter" in signed_in or "déconnexion" in signed_in.lower()
    assert signed_in != anonymous(app).get(url).get_data(as_text=True)


def test_pages_with_a_form_token_are_not_kept(app, entry):
    app.config["WTF_CSRF_ENABLED"] = True  # as in production: the form puts a token in the session
    first = anonymous(app).get("/connexion")
    assert "Set-Cookie" in first.headers  # the session holding its CSRF token
    again = anonymous(app).get("/connexion")
    assert "Set-Cookie" in again.headers  # rendered again with a token of its own, not a kept page


@pytest.mark.parametrize("url", ["/api/v1/search?q=accueil", "/recherche?q=accueil"])
def test_search_results_are_kept_while_neither_the_data_nor_the_index_changes(app, search, entry, url):
    with statements(app) as rendering:
        first = anonymous(app).get(url)
    with statements(app) as seen:
        second = anonymous(app).get(url)
    # Only the generation, and (inline, as in tests) the look at the search outbox that brings
    # the index up to date before its state is read; rendering read editions besides.
    others = [s for s in seen if "data_generation" not in s and "search_outbox" not in s]
    assert second.data == first.data and others == [] and len(rendering) > len(seen)
    assert "inconditionnel" in first.get_data(as_text=True)  # found (the page marks the matched word)


def test_kept_search_results_follow_the_index_not_only_the_database(app, search, entry):
    """The page is kept under the index's state too: when the index catches up with a change
    (here after the commit, as the applier does), the next reader sees it."""
    url = "/api/v1/search?q=accueil"
    assert "Accueil inconditionnel" in anonymous(app).get(url).get_data(as_text=True)
    revise_entry(entry, base_revision=entry.revision_number, author=None, kind=entry.kind, title="Accueil sans condition",
                 body=entry.body, tags=entry.tag_names, workshop=entry.workshop)
    db.session.commit()
    page = anonymous(app).get(url).get_data(as_text=True)
    assert "Accueil sans condition" in page and "Accueil inconditionnel" not in page


def test_search_results_are_not_kept_when_the_index_cannot_say_its_state(app, entry, monkeypatch):
    from commons.search.service import SearchService

    monkeypatch.setattr(SearchService, "index_token", lambda self: None)
    anonymous(app).get("/api/v1/search?q=accueil")
    with statements(app) as seen:
        anonymous(app).get("/api/v1/search?q=accueil")
    assert len(seen) > 1  # searched again


def test_writes_below_the_orm_bump_through_the_cli(app, runner, entry):
    before = generation()
    assert runner.invoke(args=["entries", "render"]).exit_code == 0
    assert generation() > before


def test_the_cache_stays_within_its_budget(app, make_edition, make_entry):
    app.config["PAGE_CACHE_MB"] = 0.05  # ~50 KB
    edition = make_edition(2023)
    ids = [make_entry(edition, f"Fiche {n}").id for n in range(30)]
    db.session.commit()
    for i in ids:
        anonymous(app).get(f"/fiches/{i}")
    cache = app.extensions["commons.pagecache"]
    assert 0 < cache.size <= 0.05 * 2**20


def test_a_lost_generation_connection_is_replaced_without_an_error(app, entry):
    """The generation is read on a connection kept open: a database restart kills it. The
    request reads through its session instead, and the next one opens a new connection."""
    url = f"/fiches/{entry.id}"
    first = anonymous(app).get(url)
    reader = app.extensions["commons.pagecache.reader"]
    assert reader._idle
    for conn in reader._idle:
        conn.connection.dbapi_connection.close()  # as a server restart would
    again = anonymous(app).get(url)
    assert again.status_code == 200 and again.data == first.data
    assert anonymous(app).get(url).data == first.data and reader._idle
