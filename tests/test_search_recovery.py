"""Search: crash safety (kill -9 mid-indexing), broken index detection, reindex and check CLI."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest
import sqlalchemy as sa

from commons.entries.models import Entry
from commons.extensions import db
from commons.models import utcnow
from commons.search.check import compare
from commons.search.models import SearchOutbox
from commons.search.service import service
from commons.search.store import POINTER, STATE

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# These tests look at the index right after commits, as production keeps it.
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("search")]


def titles(client, q, **params):
    response = client.get("/api/v1/search", query_string={"q": q, **params})
    assert response.status_code == 200
    return [r["title"] for r in response.get_json()["results"]]


@pytest.fixture
def many_entries(app, make_edition, make_entry):
    """A few thousand entries inserted without the outbox, then queued in bulk: a long apply."""
    edition = make_edition(2023)
    make_entry(edition, "Fiche témoin", body="témoin")
    service().catch_up()
    now = utcnow()
    with db.engine.begin() as conn:
        conn.execute(sa.insert(Entry.__table__), [{
            "kind": "action", "title": f"Action numéro {n}", "body": f"Une action de médiation {n}.",
            "status": "publiee", "edition_id": edition.id, "position": 0, "revision_number": 1,
            "created_at": now, "updated_at": now,
        } for n in range(5000)])
        ids = conn.execute(sa.select(Entry.id).where(Entry.title.like("Action numéro %"))).scalars().all()
        conn.execute(sa.insert(SearchOutbox.__table__),
                     [{"doc_type": "entry", "doc_id": i, "created_at": now} for i in ids])
    return ids


CRASHER = textwrap.dedent("""
    import os, sys, time
    sys.path.insert(0, {root!r})
    from whoosh import writing
    phase = {phase!r}
    if phase == "adding":
        original = writing.SegmentWriter.update_document
        calls = [0]
        def update_document(self, **fields):
            calls[0] += 1
            if calls[0] == 2500:
                print("ready", flush=True)
                time.sleep(60)
            return original(self, **fields)
        writing.SegmentWriter.update_document = update_document
    else:
        original = writing.SegmentWriter._commit_toc
        def _commit_toc(self, segments):
            print("ready", flush=True)  # segment files are written, the TOC is not
            time.sleep(60)
            return original(self, segments)
        writing.SegmentWriter._commit_toc = _commit_toc
    from commons import create_app
    app = create_app({config!r})
    with app.app_context():
        from commons.search.service import service
        svc = service()
        if phase == "rebuild":
            svc.rebuild()
        else:
            svc.catch_up(timeout=5)
""")


def _crash(app, phase: str) -> None:
    config = {k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "COMMONS_INDEX_DIR", "SECRET_KEY")}
    config["TESTING"] = True
    script = CRASHER.format(root=ROOT, phase=phase, config=config)
    with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout.readline().strip() == "ready"
            os.kill(proc.pid, signal.SIGKILL)
            assert proc.wait(timeout=10) == -signal.SIGKILL
        finally:
            if proc.poll() is None:
                proc.kill()


@pytest.mark.parametrize("phase", ["adding", "toc"])
def test_kill_9_during_catch_up_then_index_opens_and_catches_up(app, client, many_entries, phase):
    folder = service().folder()
    _crash(app, phase)
    db.session.remove()
    assert titles(client, "temoin") == ["Fiche témoin"]
    assert service().folder().name == folder.name  # not rebuilt: it opened and caught up
    assert client.get("/api/v1/search?q=action").get_json()["total"] == 5000
    assert compare(service()).is_consistent


def test_kill_9_during_rebuild_keeps_the_live_folder(app, client, many_entries, runner):
    live = service().folder().name
    _crash(app, "rebuild")
    root = service().root.path
    assert (root / POINTER).read_text().strip() == live
    assert titles(client, "temoin") == ["Fiche témoin"]
    result = runner.invoke(args=["search", "reindex", "--quiet"])
    assert result.exit_code == 0, result.output
    assert [p.name for p in root.glob("ix-*")] == [service().folder().name]  # the orphan is gone


def _break_toc(folder):
    for toc in folder.path.glob("*.toc"):
        toc.unlink()


def _break_segments(folder):
    for seg in folder.path.glob("*.seg"):
        seg.write_bytes(b"\0garbage\0" * 10)


def _break_state(folder):
    (folder.path / STATE).write_text(json.dumps({"schema": 1, "watermark": 0}))


def _break_pointer(folder):
    (folder.path.parent / POINTER).write_text("ix-nowhere\n")


def _remove_everything(folder):
    import shutil

    shutil.rmtree(folder.path.parent)


@pytest.mark.parametrize("damage", [_break_toc, _break_segments, _break_state, _break_pointer, _remove_everything])
def test_broken_index_is_rebuilt_automatically(app, client, make_edition, make_entry, damage):
    edition = make_edition(2023)
    make_entry(edition, "Accueil inconditionnel", body="écoute")
    folder = service().folder()
    damage(folder)
    service().root.forget()  # as a fresh worker process would
    assert titles(client, "ecoute") == ["Accueil inconditionnel"]
    assert service().folder().name != folder.name
    assert compare(service()).is_consistent


def test_reindex_and_check_cli(app, runner, make_edition, make_entry):
    edition = make_edition(2023)
    one = make_entry(edition, "Première")
    two = make_entry(edition, "Deuxième")
    before = service().folder().name
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "Index reconstruit : 3 documents" in result.output
    assert service().folder().name != before

    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 0 and "Index conforme à la base (3 documents)" in result.output

    # Damage behind the outbox's back: a document removed from the index, a title changed
    # by a Core UPDATE on the raw connection (below the session's events), a stray document.
    folder = service().folder()
    writer = folder.writer(timeout=5)
    writer.delete_by_term("key", f"entry:{one.id}")
    writer.add_document(key="entry:999", type="entry", doc_id=999, title="Fantôme", status="publiee")
    writer.commit()
    db.session.connection().execute(sa.update(Entry).where(Entry.id == two.id).values(title="Deuxième bis"))
    db.session.commit()
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 1
    assert f"Absent de l'index : fiche {one.id}" in result.output
    assert "En trop dans l'index : fiche 999" in result.output
    assert f"Différent : fiche {two.id} (titre" in result.output

    assert runner.invoke(args=["search", "reindex", "--quiet"]).exit_code == 0
    assert runner.invoke(args=["search", "check"]).exit_code == 0
    result = runner.invoke(args=["search", "apply"])
    assert result.exit_code == 0 and "Index à jour" in result.output
