"""Anonymous pages shared by a host's worker processes through files (commons/pagestore.py)."""
from __future__ import annotations

import sqlalchemy as sa

from commons.entries.services import revise_entry
from commons.extensions import db
from commons.pagecache import DataGeneration, bump
from commons.pagestore import SharedPages
from tests.test_pagecache import anonymous, statements

PAGE = (b"<html>page</html>", 200, [("Content-Type", "text/html; charset=utf-8")])


def test_another_process_serves_the_page_one_rendered(app, make_app, entry):
    other = make_app()  # another worker of the same host: same database, same folder
    url = f"/fiches/{entry.id}"
    first = anonymous(app).get(url)
    with other.app_context(), statements(other) as seen:
        second = anonymous(other).get(url)
    assert second.status_code == 200 and second.data == first.data
    assert len(seen) == 1 and "data_generation" in seen[0]  # read from the folder: no rendering


def test_a_change_made_by_one_process_shows_at_once_in_the_other(app, make_app, entry):
    other = make_app()
    url = f"/fiches/{entry.id}"
    with other.app_context():
        assert "Accueil inconditionnel" in anonymous(other).get(url).get_data(as_text=True)
    revise_entry(entry, base_revision=entry.revision_number, author=None, kind=entry.kind, title="Accueil sans condition",
                 body=entry.body, tags=entry.tag_names, workshop=entry.workshop)
    db.session.commit()
    with other.app_context():
        page = anonymous(other).get(url).get_data(as_text=True)
    assert "Accueil sans condition" in page and "Accueil inconditionnel" not in page


def test_each_database_has_its_own_pages(tmp_path):
    one = SharedPages(tmp_path, "sqlite:///one.db", 2**20)
    two = SharedPages(tmp_path, "sqlite:///two.db", 2**20)
    one.put(("/", 7), PAGE)
    assert one.get(("/", 7)) == PAGE
    assert two.get(("/", 7)) is None


def test_a_page_rendered_before_a_change_is_not_written_after_it(tmp_path):
    store = SharedPages(tmp_path, "sqlite:///x.db", 2**20)
    store.put(("/a", 10), PAGE)
    store.put(("/b", 20), PAGE)  # a newer generation: the older folder is dead and goes
    assert store.get(("/a", 10)) is None and not (store.root / "10").exists()
    store.put(("/c", 15), PAGE)  # rendered under 15, finished after 20 began: nobody will read it
    assert store.get(("/c", 15)) is None and not (store.root / "15").exists()
    assert store.get(("/b", 20)) == PAGE


def test_the_folder_stays_within_its_budget(tmp_path):
    store = SharedPages(tmp_path, "sqlite:///x.db", 64 * 1024)
    body = b"x" * 4000
    for n in range(200):
        store.put((f"/page/{n}", 1), (body, 200, []))
    size = sum(f.stat().st_size for f in (store.root / "1").iterdir())
    assert size <= 64 * 1024 + 32 * 4100  # trimmed every 32 writes
    assert store.get(("/page/199", 1)) is not None  # the newest stay
    assert store.get(("/page/0", 1)) is None


def test_a_damaged_file_is_a_render_not_an_error(app, entry):
    url = f"/fiches/{entry.id}"
    first = anonymous(app).get(url)
    store = app.extensions["commons.pagestore"]
    for page in store.root.rglob("*"):
        if page.is_file():
            page.write_bytes(b"\xff not json")
    app.extensions["commons.pagecache"]._pages.clear()  # this process forgets it too
    again = anonymous(app).get(url)
    assert again.status_code == 200 and again.data == first.data


def test_a_restored_database_never_meets_a_generation_it_had(app, entry):
    """A backup taken at generation g, restored after later writes: the next write must not
    produce a number that the lost writes used (their pages may still be in the folder)."""
    with db.engine.begin() as conn:
        bump(conn)
    restored = db.session.scalar(sa.select(DataGeneration.value))
    with db.engine.begin() as conn:
        for _ in range(3):
            bump(conn)
        used = conn.scalar(sa.select(DataGeneration.value))
        conn.execute(sa.update(DataGeneration).values(value=restored))  # the restore
        bump(conn)
        assert conn.scalar(sa.select(DataGeneration.value)) > used
