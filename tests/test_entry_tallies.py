"""Entry counts by edition, kind and status: kept by the writing transaction, never a scan."""
from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from commons.entries import queries
from commons.entries.models import Entry, EntryStatus, EntryTally, Revision
from commons.entries.services import create_entry, revert_entry, revise_entry
from commons.entries.tallies import BulkChangeRefused, recount
from commons.extensions import db
from commons.kinds import EntryKind


def scanned() -> dict:
    """The counts the slow way, to compare with the tallies: (entries, revisions) per key."""
    rows = db.session.execute(sa.select(Entry.edition_id, Entry.kind, Entry.status, sa.func.count())
                              .group_by(Entry.edition_id, Entry.kind, Entry.status)).all()
    counts = {(e, k.value, s.value): (n, 0) for e, k, s, n in rows}
    rows = db.session.execute(sa.select(Entry.edition_id, Entry.kind, Entry.status, sa.func.count(Revision.id))
                              .join(Revision, Revision.entry_id == Entry.id)
                              .group_by(Entry.edition_id, Entry.kind, Entry.status)).all()
    for e, k, s, n in rows:
        counts[(e, k.value, s.value)] = (counts[(e, k.value, s.value)][0], n)
    return counts


def tallied() -> dict:
    rows = db.session.execute(sa.select(EntryTally.edition_id, EntryTally.kind, EntryTally.status, EntryTally.count,
                                        EntryTally.revisions))
    return {(e, k, s): (n, r) for e, k, s, n, r in rows if n or r}


def revise(entry: Entry, **changes) -> None:
    content = {"kind": entry.kind, "title": entry.title, "body": entry.body, "tags": entry.tag_names,
               "workshop": entry.workshop, **changes}
    revise_entry(entry, base_revision=entry.revision_number, author=None, **content)


def test_counts_follow_creation_edits_archiving_and_deletion(app, make_edition):
    e23, e24 = make_edition(2023), make_edition(2024)
    a = create_entry(edition=e23, kind=EntryKind.VALEUR, title="Écoute")
    b = create_entry(edition=e23, kind=EntryKind.VALEUR, title="Confiance")
    c = create_entry(edition=e24, kind=EntryKind.ACTION, title="Annuaire")
    db.session.commit()
    assert queries.kind_counts()[EntryKind.VALEUR] == 2 and queries.edition_entry_counts() == {e23.id: 2, e24.id: 1}

    revise(a, kind=EntryKind.SAVOIR)  # kind changes: one valeur less, one savoir more
    b.status = EntryStatus.ARCHIVED
    db.session.commit()
    assert queries.kind_counts()[EntryKind.VALEUR] == 0 and queries.kind_counts()[EntryKind.SAVOIR] == 1
    assert queries.edition_entry_counts() == {e23.id: 1, e24.id: 1}
    assert queries.count_in_edition(e23) == 2  # archived ones included

    c.edition = e23  # through the relationship, on an expired row: the old edition still loses it
    db.session.commit()
    assert queries.edition_entry_counts() == {e23.id: 2} and tallied() == scanned()

    db.session.delete(c)
    db.session.commit()
    assert queries.edition_entry_counts() == {e23.id: 1} and tallied() == scanned()


def test_a_rolled_back_change_leaves_the_counts(app, make_edition):
    edition = make_edition(2023)
    create_entry(edition=edition, kind=EntryKind.MOYEN, title="Un local")
    db.session.commit()
    create_entry(edition=edition, kind=EntryKind.MOYEN, title="Un second local")
    db.session.flush()
    assert queries.kind_counts()[EntryKind.MOYEN] == 2  # the same transaction sees its own change
    db.session.rollback()
    assert queries.kind_counts()[EntryKind.MOYEN] == 1 and tallied() == scanned()


def test_bulk_statements_that_would_skip_the_counts_are_refused(app, make_edition):
    edition = make_edition(2023)
    create_entry(edition=edition, kind=EntryKind.MOYEN, title="Un local")
    db.session.commit()
    with pytest.raises(BulkChangeRefused):
        db.session.execute(sa.update(Entry).values(status=EntryStatus.ARCHIVED))
    db.session.rollback()
    with pytest.raises(BulkChangeRefused):
        db.session.execute(sa.delete(Entry))
    db.session.rollback()
    db.session.execute(sa.update(Entry).values(position=3))  # columns the counts do not read: allowed
    db.session.commit()
    assert tallied() == scanned()


def test_recount_repairs_and_the_cli_reports(app, runner, make_edition):
    edition = make_edition(2023)
    create_entry(edition=edition, kind=EntryKind.PRATIQUE, title="Binômes")
    db.session.commit()
    db.session.execute(sa.update(EntryTally).values(count=40))  # damaged behind the app's back
    db.session.commit()
    result = runner.invoke(args=["entries", "recount", "--check"])
    assert result.exit_code == 1 and "faux" in result.output
    assert runner.invoke(args=["entries", "recount"]).exit_code == 0
    db.session.expire_all()
    assert tallied() == scanned()
    with db.engine.connect() as conn:
        assert recount(conn)
    result = runner.invoke(args=["entries", "recount", "--check"])
    assert result.exit_code == 0 and "justes" in result.output


def test_concurrent_creations_all_count(app, make_edition):
    edition = make_edition(2023)
    db.session.commit()
    edition_id = edition.id
    errors = []

    def create(n: int) -> None:
        with app.app_context():
            try:
                for i in range(5):
                    create_entry(edition=db.session.get(type(edition), edition_id), kind=EntryKind.ACTION,
                                 title=f"Action {n}-{i}")
                    db.session.commit()
            except Exception as exc:  # reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=create, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    db.session.expire_all()
    assert queries.kind_counts()[EntryKind.ACTION] == 20 and tallied() == scanned()


def test_the_demo_counts_match(demo):
    assert tallied() == scanned() and sum(queries.kind_counts().values()) > 50


def test_revisions_are_counted_where_their_entry_is(app, make_edition):
    """Recent changes counts revisions from the tallies: each save, revert, move and archiving
    must keep them equal to the rows."""
    e23, e24 = make_edition(2023), make_edition(2024)
    a = create_entry(edition=e23, kind=EntryKind.VALEUR, title="Écoute")
    b = create_entry(edition=e23, kind=EntryKind.VALEUR, title="Confiance")
    db.session.commit()
    assert queries.count_revisions() == 2
    revise(a, title="Écoute active")
    revise(a, kind=EntryKind.SAVOIR)  # a new revision and a move, in one flush
    db.session.commit()
    assert queries.count_revisions() == 4 and tallied() == scanned()
    revert_entry(a, number=1, base_revision=a.revision_number, author=None)
    b.status = EntryStatus.ARCHIVED  # its revision leaves the published count
    db.session.commit()
    assert queries.count_revisions() == 4 and tallied() == scanned()
    a.edition = e24
    db.session.commit()
    assert tallied() == scanned()
    db.session.delete(a)
    db.session.commit()
    assert queries.count_revisions() == 0 and tallied() == scanned()


def test_recount_repairs_revision_counts(app, make_edition):
    edition = make_edition(2023)
    entry = create_entry(edition=edition, kind=EntryKind.VALEUR, title="Écoute")
    revise(entry, title="Écoute active")
    db.session.commit()
    with db.engine.begin() as conn:
        conn.execute(sa.update(EntryTally).values(revisions=99))
        assert recount(conn) is False
        assert recount(conn) is True
    assert tallied() == scanned() and queries.count_revisions() == 2
