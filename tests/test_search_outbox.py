"""Search: the outbox written by session events, catching up, convergence, locks, pruning."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from commons.editions.models import Edition, Workshop
from commons.entries.models import Entry, Tag
from commons.entries.services import create_entry, revise_entry
from commons.extensions import db
from commons.kinds import EntryKind
from commons.models import utcnow
from commons.search import hooks
from commons.search.check import compare
from commons.search.models import SearchOutbox
from commons.search.outbox import advance, prune
from commons.search.service import service
from commons.search.store import OutboxState

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# These tests look at the index right after commits, as production keeps it.
pytestmark = pytest.mark.usefixtures("search")


def outbox_rows():
    return db.session.execute(sa.select(SearchOutbox.doc_type, SearchOutbox.doc_id).order_by(SearchOutbox.id)).all()


def titles(client, q, **params):
    return [r["title"] for r in client.get("/api/v1/search", query_string={"q": q, **params}).get_json()["results"]]


def in_index(key: str, app=None) -> bool:
    svc = service(app)
    with svc.folder().ix.searcher() as s:
        return s.document(key=key) is not None


@pytest.fixture
def edition(make_edition):
    return make_edition(2023)


# --- writing the outbox ------------------------------------------------------------------------

def test_rows_flushed_early_in_the_transaction_are_recorded(app, edition):
    entry = create_entry(edition=edition, kind=EntryKind.VALEUR, title="Écoute active")  # flushes
    db.session.flush()
    other = Tag(slug="sans-lien", name="Sans lien")
    db.session.add(other)  # a later flush with nothing searchable must not lose the first
    db.session.flush()
    assert ("entry", entry.id) in outbox_rows()  # already in the transaction
    db.session.commit()
    assert outbox_rows().count(("entry", entry.id)) == 1
    assert in_index(f"entry:{entry.id}")


def test_rollback_writes_nothing_and_drops_pending_state(app, edition):
    entry = create_entry(edition=edition, kind=EntryKind.VALEUR, title="Fiche abandonnée")
    key = f"entry:{entry.id}"
    assert db.session.info.get(hooks.DIRTY)
    db.session.rollback()
    assert not db.session.info.get(hooks.DIRTY) and not db.session.info.get(hooks.WRITTEN)
    assert ("entry", entry.id) not in outbox_rows()
    db.session.commit()
    assert not in_index(key)


def test_savepoint_rollback_keeps_outer_rows(app, edition):
    kept = create_entry(edition=edition, kind=EntryKind.VALEUR, title="Gardée")
    with db.session.begin_nested() as nested:
        create_entry(edition=edition, kind=EntryKind.VALEUR, title="Annulée")
        nested.rollback()
    kept.title = "Gardée et modifiée"
    db.session.commit()
    # Keys written inside the savepoint are forgotten with it, so "kept" may be written twice:
    # a duplicate costs one idempotent re-index, a lost row would cost a stale index.
    assert set(outbox_rows()) == {("edition", edition.id), ("entry", kept.id)}
    assert in_index(f"entry:{kept.id}")


def test_edit_is_visible_on_the_next_request(client, edition, make_entry):
    entry = make_entry(edition, "Accueil inconditionnel", body="Accueillir toute personne.")
    assert titles(client, "accueillir") == ["Accueil inconditionnel"]
    revise_entry(entry, base_revision=entry.revision_number, author=None, kind=entry.kind,
                 title="Hospitalité numérique", body="Recevoir chacun.", tags=[], workshop=None)
    db.session.commit()
    assert titles(client, "accueillir") == []
    assert titles(client, "hospitalite") == ["Hospitalité numérique"]


def test_renames_reindex_dependent_entries(client, edition, make_workshop, make_entry):
    workshop = make_workshop(edition, "Atelier ancien nom")
    entry = make_entry(edition, "Une fiche", workshop=workshop, tags=["Ancienne étiquette"])
    tag = db.session.scalar(sa.select(Tag).where(Tag.slug == "ancienne-etiquette"))
    tag.name = "Cybersécurité"
    db.session.commit()
    assert titles(client, "cybersecurite") == ["Une fiche"]
    workshop.title = "Atelier nouveau nom"
    db.session.commit()
    result = client.get("/api/v1/search?q=fiche").get_json()["results"][0]
    stored = service().searcher().document(key=f"entry:{entry.id}")
    assert result["id"] == entry.id and stored["workshop_title"] == "Atelier nouveau nom"


def test_deletions_leave_the_index(client, edition, make_workshop, make_entry):
    workshop = make_workshop(edition, "Atelier éphémère")
    entry = make_entry(edition, "Fiche liée", workshop=workshop)
    db.session.delete(workshop)
    db.session.commit()
    assert not in_index(f"workshop:{workshop.id}")
    assert service().searcher().document(key=f"entry:{entry.id}").get("workshop") is None
    db.session.delete(db.session.get(Entry, entry.id))
    db.session.commit()
    assert not in_index(f"entry:{entry.id}")
    assert compare(service()).is_consistent


# --- several index folders, out-of-order ids -----------------------------------------------------

@pytest.fixture
def other_app(make_app, tmp_path):
    """A second instance on the same database with its own index folder (another host)."""
    return make_app(COMMONS_INDEX_DIR=str(tmp_path / "host-b"))


def test_two_hosts_converge(app, client, other_app, edition, make_entry):
    first = make_entry(edition, "Première fiche", body="médiation")
    # Read here: an expired attribute of this session's object, read inside the other app's
    # context, would borrow a connection of the other app's engine and keep it past its end.
    edition_id, first_id = edition.id, first.id
    with other_app.app_context():
        other = other_app.test_client()
        assert titles(other, "mediation") == ["Première fiche"]
        second = create_entry(edition=db.session.get(Edition, edition_id), kind=EntryKind.ACTION,
                              title="Deuxième fiche", body="médiation")
        db.session.commit()
        second_id = second.id
    assert sorted(titles(client, "mediation")) == ["Deuxième fiche", "Première fiche"]
    with other_app.app_context():
        db.session.delete(db.session.get(Entry, first_id))
        db.session.commit()
        assert titles(other, "mediation") == ["Deuxième fiche"]
        assert compare(service(other_app)).is_consistent
        db.session.remove()
    assert titles(client, "mediation") == ["Deuxième fiche"]
    assert compare(service(app)).is_consistent and second_id


def test_a_lower_id_seen_late_is_not_lost(app, client, edition, make_entry):
    """The watermark passes an id that is not visible yet; when it appears, it is applied."""
    early = make_entry(edition, "Titre d'origine")
    late = make_entry(edition, "Autre fiche")
    top = db.session.scalar(sa.select(sa.func.max(SearchOutbox.id)))
    table = SearchOutbox.__table__
    # id top+5 becomes visible first (another transaction committed first) ...
    # On the session's connection, below the ORM: the session's bulk-statement hook would
    # enqueue the row itself, and this test writes the outbox ids by hand.
    db.session.connection().execute(sa.update(Entry).where(Entry.id == late.id).values(title="Autre fiche modifiée"))
    db.session.execute(sa.insert(table).values(id=top + 5, doc_type="entry", doc_id=late.id, created_at=utcnow()))
    db.session.commit()
    assert titles(client, "modifiee") == ["Autre fiche modifiée"]
    state = service().folder().read_state()
    assert state.watermark == top + 5 and set(state.gaps) == {top + 1, top + 2, top + 3, top + 4}
    # ... and id top+2, allocated earlier, commits afterwards.
    db.session.connection().execute(sa.update(Entry).where(Entry.id == early.id).values(title="Titre corrigé"))
    db.session.execute(sa.insert(table).values(id=top + 2, doc_type="entry", doc_id=early.id, created_at=utcnow()))
    db.session.commit()
    assert titles(client, "corrige") == ["Titre corrigé"]
    assert top + 2 not in service().folder().read_state().gaps


def test_postgresql_transactions_committing_out_of_id_order(app, client, edition, make_entry):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: ids always commit in order")
    entry = make_entry(edition, "Avant")
    other = make_entry(edition, "Voisine")
    slow = db.engine.connect()  # a transaction that allocates its outbox id first, commits last
    slow.execute(sa.update(Entry.__table__).where(Entry.__table__.c.id == entry.id).values(title="Après coup"))
    slow.execute(sa.insert(SearchOutbox.__table__).values(doc_type="entry", doc_id=entry.id, created_at=utcnow()))
    revise_entry(other, base_revision=other.revision_number, author=None, kind=other.kind, title="Voisine modifiée",
                 body="", tags=[], workshop=None)
    db.session.commit()  # higher id, committed first, applied now
    assert titles(client, "voisine") == ["Voisine modifiée"]
    slow.commit()
    slow.close()
    assert titles(client, "coup") == ["Après coup"]
    assert compare(service()).is_consistent


def test_advance_keeps_gaps_until_they_expire():
    state = OutboxState(watermark=10, gaps={4: 0.0})
    after = advance(state, [4, 11, 14], now=100.0, gap_seconds=3600, full=False)
    assert after.watermark == 14 and after.gaps == {12: 100.0, 13: 100.0} and after.synced_at == 100.0
    later = advance(after, [15], now=100.0 + 3601, gap_seconds=3600, full=False)
    assert later.gaps == {}  # rolled-back inserts are forgotten


# --- locks: no request ever fails --------------------------------------------------------------

HOLD_LOCK = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {root!r})
    from pathlib import Path
    from commons.search.store import FileLock
    lock = FileLock(Path({path!r}))
    assert lock.acquire(timeout=5)
    print("held", flush=True)
    sys.stdin.readline()
""")


def test_lock_held_by_another_process_never_fails_a_request(app, client, edition, make_entry, contributor_client):
    entry = make_entry(edition, "Fiche verrouillée")
    folder = service().folder()
    script = HOLD_LOCK.format(root=ROOT, path=str(folder.path / "MAIN_WRITELOCK"))
    holder = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        revise_entry(entry, base_revision=entry.revision_number, author=None, kind=entry.kind,
                     title="Fiche déverrouillée", body="", tags=[], workshop=None)
        db.session.commit()  # the catch-up after commit finds the lock taken and leaves
        for q in ("verrouillee", "deverrouillee", "fiche"):
            assert client.get("/api/v1/search", query_string={"q": q}).status_code == 200
            assert client.get("/recherche", query_string={"q": q}).status_code == 200
        assert time.monotonic() - started < 5
        assert titles(client, "verrouillee") == ["Fiche verrouillée"]  # stale while locked
    finally:
        holder.communicate("\n", timeout=10)
    assert titles(client, "deverrouillee") == ["Fiche déverrouillée"]  # the next search catches up


# --- pruning --------------------------------------------------------------------------------------

def test_prune_keeps_the_newest_row(app, edition, make_entry):
    make_entry(edition, "Une")
    make_entry(edition, "Deux")
    old = utcnow() - timedelta(days=30)
    db.session.execute(sa.update(SearchOutbox).values(created_at=old))
    db.session.commit()
    top = db.session.scalar(sa.select(sa.func.max(SearchOutbox.id)))
    with db.engine.connect() as conn:
        assert prune(conn, retention_days=7) == 2
    assert db.session.scalars(sa.select(SearchOutbox.id)).all() == [top]
    make_entry(edition, "Trois")  # the next id is still above every watermark
    assert db.session.scalar(sa.select(sa.func.max(SearchOutbox.id))) == top + 1


def _age_folder(days: float):
    folder = service().folder()
    state = folder.read_state()
    state.synced_at = time.time() - days * 86400
    folder.write_state(state)
    (folder.path / "synced").unlink(missing_ok=True)
    return folder


def test_an_idle_folder_is_not_rebuilt(app, client, edition, make_entry):
    make_entry(edition, "Fiche paisible")
    folder = _age_folder(30)  # nobody wrote for a month, nothing was pruned that it missed
    assert titles(client, "paisible") == ["Fiche paisible"]
    assert service().folder().name == folder.name


def test_a_folder_that_missed_pruned_rows_rebuilds(app, client, edition, make_entry):
    entry = make_entry(edition, "Fiche ancienne")
    folder = _age_folder(30)
    # A change this host never applied (its outbox row is then pruned with the old ones).
    table = SearchOutbox.__table__
    db.session.connection().execute(sa.update(Entry).where(Entry.id == entry.id).values(title="Fiche renommée"))
    db.session.execute(sa.insert(table).values(doc_type="entry", doc_id=entry.id, created_at=utcnow()))
    db.session.execute(sa.insert(table).values(doc_type="edition", doc_id=edition.id, created_at=utcnow()))
    db.session.execute(sa.update(SearchOutbox).values(created_at=utcnow() - timedelta(days=30)))
    db.session.commit()
    with db.engine.connect() as conn:
        prune(conn, retention_days=7)
    assert titles(client, "renommee") == ["Fiche renommée"]
    assert service().folder().name != folder.name


def test_workshop_reassignment_and_bulk_updates_can_be_enqueued(app, client, edition, make_workshop, make_entry):
    workshop = make_workshop(edition, "Atelier de rattachement")
    entry = make_entry(edition, "Fiche à rattacher")
    # A bulk UPDATE through the session enqueues what it touches; enqueue() stays harmless on top.
    db.session.execute(sa.update(Entry).where(Entry.id == entry.id).values(workshop_id=workshop.id))
    hooks.enqueue(db.session, [("entry", entry.id)])
    db.session.commit()
    result = client.get("/api/v1/search?q=rattacher&type=entry").get_json()["results"][0]
    assert result["workshop"] == f"nec-sud-ouest-2023/{workshop.slug}"
    assert db.session.get(Workshop, workshop.id)
