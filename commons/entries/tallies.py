"""How many entries, and how many revisions of them, each (edition, kind, status) holds, kept
up to date in the writing transaction.

The home page and the kinds page show counts by kind and by edition, recent changes the number
of revisions. Counting rows costs a scan of every entry or revision (tens of milliseconds at
20,000 on PostgreSQL, hundreds at 300,000); reading at most editions × kinds × statuses tally
rows costs nothing.

A revision counts where its entry is: each new Revision adds one to its entry's tally, and an
entry that changes edition, kind or status takes the revisions it had before the flush with it
(its `revision_number`, the mapper's version counter, minus the ones this flush added). Each flush adds its deltas with one atomic upsert per
changed tally (`count = count + delta`), in sorted order so that two transactions never wait
for each other's rows in opposite orders, and the tallies commit or roll back with the change.

A bulk UPDATE that changes an entry's edition, kind or status, or a bulk DELETE of entries,
bypasses the flush: it is refused, as the search outbox refuses bulk inserts.
`flask entries recount` rebuilds the tallies from the entries and says whether they differed.
"""
from __future__ import annotations

from collections import Counter, defaultdict

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import ORMExecuteState, Session

from commons.entries.models import Entry, EntryStatus, EntryTally, Revision
from commons.kinds import EntryKind

Key = tuple[int, str, str]
COLUMNS = ("edition_id", "kind", "status")
tallies = EntryTally.__table__


class BulkChangeRefused(RuntimeError):
    """A bulk statement would change the counts without the flush seeing it."""


def _value(value) -> str | int:
    return value.value if isinstance(value, EntryKind | EntryStatus) else value


def _old(obj: Entry, name: str):
    """The value the row had in the database before this flush."""
    history = inspect(obj).attrs[name].history
    return history.deleted[0] if history.deleted else getattr(obj, name)


def _old_key(obj: Entry) -> Key:
    return tuple(_value(_old(obj, name)) for name in COLUMNS)


def _new_key(obj: Entry) -> Key:
    return tuple(_value(getattr(obj, name)) for name in COLUMNS)


Deltas = dict[Key, list[int]]  # key → [entries, revisions]


def deltas(session: Session) -> Deltas:
    change: Deltas = defaultdict(lambda: [0, 0])
    added: Counter = Counter()  # entry → revisions this flush inserted
    with session.no_autoflush:
        for obj in session.new:
            if isinstance(obj, Revision) and obj.entry is not None:
                added[obj.entry] += 1
    for obj in session.new:
        if isinstance(obj, Entry):
            change[_new_key(obj)][0] += 1
    for obj in session.deleted:
        if isinstance(obj, Entry):  # its revisions go with it (ON DELETE CASCADE)
            old = change[_old_key(obj)]
            old[0] -= 1
            old[1] -= _old(obj, "revision_number") or 0
    for obj in session.dirty:
        if isinstance(obj, Entry) and session.is_modified(obj):
            old, new = _old_key(obj), _new_key(obj)
            if old != new:
                before = (obj.revision_number or 0) - added[obj]
                change[old][0] -= 1
                change[old][1] -= before
                change[new][0] += 1
                change[new][1] += before
    for entry, count in added.items():
        change[_new_key(entry)][1] += count
    return {key: pair for key, pair in change.items() if pair != [0, 0]}


def apply(connection: sa.Connection, change: Deltas) -> None:
    if not change:
        return
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    for (edition_id, kind, status), (entries, revisions) in sorted(change.items()):
        statement = insert(tallies).values(edition_id=edition_id, kind=kind, status=status, count=entries,
                                           revisions=revisions)
        connection.execute(statement.on_conflict_do_update(
            index_elements=list(COLUMNS), set_={"count": tallies.c.count + statement.excluded.count,
                                                "revisions": tallies.c.revisions + statement.excluded.revisions}))


def after_flush(session: Session, _flush_context) -> None:
    apply(session.connection(), deltas(session))


def before_bulk_statement(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    table = getattr(state.statement, "table", None)
    if not ((mapper is not None and mapper.class_ is Entry) or table is Entry.__table__):
        return
    if state.is_delete:
        raise BulkChangeRefused("delete(Entry) : supprimez les fiches par la session pour que les compteurs suivent")
    touched = {getattr(column, "key", str(column)) for column in (state.statement._values or {})}
    if touched & set(COLUMNS):
        raise BulkChangeRefused("update(Entry) de l'édition, de la nature ou du statut : passez par la session")


def recount(connection: sa.Connection) -> bool:
    """Rebuild the tallies from the entries and revisions; True when they already agreed."""
    entries, revisions = Entry.__table__, Revision.__table__
    key = (entries.c.edition_id, entries.c.kind, entries.c.status)
    actual: dict[Key, list[int]] = defaultdict(lambda: [0, 0])
    for row in connection.execute(sa.select(*key, sa.func.count()).group_by(*key)):
        actual[tuple(_value(v) for v in row[:3])][0] = row[3]
    for row in connection.execute(sa.select(*key, sa.func.count()).select_from(
            revisions.join(entries, entries.c.id == revisions.c.entry_id)).group_by(*key)):
        actual[tuple(_value(v) for v in row[:3])][1] = row[3]
    stored = {tuple(row[:3]): [row[3], row[4]] for row in connection.execute(
        sa.select(tallies.c.edition_id, tallies.c.kind, tallies.c.status, tallies.c.count, tallies.c.revisions))
        if row[3] or row[4]}
    actual = {k: v for k, v in actual.items() if v != [0, 0]}
    if actual == stored:
        return True
    connection.execute(tallies.delete())
    if actual:
        connection.execute(sa.insert(tallies), [
            {"edition_id": e, "kind": k, "status": s, "count": n, "revisions": r}
            for (e, k, s), (n, r) in sorted(actual.items())])
    return False


_installed = False


def install() -> None:
    global _installed
    if not _installed:
        event.listen(Session, "after_flush", after_flush)
        event.listen(Session, "do_orm_execute", before_bulk_statement)
        _installed = True
