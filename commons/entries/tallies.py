"""How many entries each (edition, kind, status) holds, kept up to date in the writing transaction.

The home page and the kinds page show counts by kind and by edition. Counting rows costs a
scan of every entry (tens of milliseconds at 300,000); reading at most editions × kinds ×
statuses tally rows costs nothing. Each flush adds its deltas with one atomic upsert per
changed tally (`count = count + delta`), in sorted order so that two transactions never wait
for each other's rows in opposite orders, and the tallies commit or roll back with the change.

A bulk UPDATE that changes an entry's edition, kind or status, or a bulk DELETE of entries,
bypasses the flush: it is refused, as the search outbox refuses bulk inserts.
`flask entries recount` rebuilds the tallies from the entries and says whether they differed.
"""
from __future__ import annotations

from collections import Counter

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import ORMExecuteState, Session

from commons.entries.models import Entry, EntryStatus, EntryTally
from commons.kinds import EntryKind

Key = tuple[int, str, str]
COLUMNS = ("edition_id", "kind", "status")
tallies = EntryTally.__table__


class BulkChangeRefused(RuntimeError):
    """A bulk statement would change the counts without the flush seeing it."""


def _value(value) -> str | int:
    return value.value if isinstance(value, EntryKind | EntryStatus) else value


def _old_key(obj: Entry) -> Key:
    """The key the row had in the database before this flush."""
    state = inspect(obj)
    old = []
    for name in COLUMNS:
        history = state.attrs[name].history
        value = history.deleted[0] if history.deleted else getattr(obj, name)
        old.append(_value(value))
    return tuple(old)


def _new_key(obj: Entry) -> Key:
    return tuple(_value(getattr(obj, name)) for name in COLUMNS)


def deltas(session: Session) -> Counter:
    change: Counter = Counter()
    for obj in session.new:
        if isinstance(obj, Entry):
            change[_new_key(obj)] += 1
    for obj in session.deleted:
        if isinstance(obj, Entry):
            change[_old_key(obj)] -= 1
    for obj in session.dirty:
        if isinstance(obj, Entry) and session.is_modified(obj):
            old, new = _old_key(obj), _new_key(obj)
            if old != new:
                change[old] -= 1
                change[new] += 1
    return Counter({k: v for k, v in change.items() if v})


def apply(connection: sa.Connection, change: Counter) -> None:
    if not change:
        return
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    for (edition_id, kind, status), delta in sorted(change.items()):
        statement = insert(tallies).values(edition_id=edition_id, kind=kind, status=status, count=delta)
        connection.execute(statement.on_conflict_do_update(
            index_elements=list(COLUMNS), set_={"count": tallies.c.count + statement.excluded.count}))


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
    """Rebuild the tallies from the entries; True when they already agreed."""
    entries = Entry.__table__
    actual = {tuple(_value(v) for v in row[:3]): row[3] for row in connection.execute(
        sa.select(entries.c.edition_id, entries.c.kind, entries.c.status, sa.func.count())
        .group_by(entries.c.edition_id, entries.c.kind, entries.c.status))}
    stored = {tuple(row[:3]): row[3] for row in connection.execute(
        sa.select(tallies.c.edition_id, tallies.c.kind, tallies.c.status, tallies.c.count)) if row[3]}
    if actual == stored:
        return True
    connection.execute(tallies.delete())
    if actual:
        connection.execute(sa.insert(tallies), [
            {"edition_id": e, "kind": k, "status": s, "count": n} for (e, k, s), n in sorted(actual.items())])
    return False


_installed = False


def install() -> None:
    global _installed
    if not _installed:
        event.listen(Session, "after_flush", after_flush)
        event.listen(Session, "do_orm_execute", before_bulk_statement)
        _installed = True
