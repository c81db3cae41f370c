"""Session events that write the outbox inside the writing transaction.

Each flush records the documents it touched: the rows go to `search_outbox` through the
session's own connection right away, so a change flushed early in a transaction (by a
service's `flush()` or an autoflush) is never missed by a snapshot taken at commit time,
and it commits or rolls back with the change itself. After the commit the local index
catches up; after a rollback the gathered state is dropped.

Core `update()`/`delete()` statements bypass these events: code that uses them must call
`enqueue()` itself (or run `flask search reindex`).
"""
from __future__ import annotations

import logging
from collections.abc import Iterable

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from commons.editions.models import Edition, GuidingQuestion, Structure, Workshop, workshop_structures
from commons.entries.models import Entry, Tag, entry_tags
from commons.models import utcnow
from commons.search.documents import REGISTRY
from commons.search.models import SearchOutbox

log = logging.getLogger(__name__)
Key = tuple[str, int]

PENDING = "search_outbox_pending"  # keys gathered in before_flush (rows about to be deleted)
WRITTEN = "search_outbox_written"  # keys already in the outbox in this transaction
DIRTY = "search_outbox_dirty"  # this transaction wrote outbox rows: catch up after commit


def _changed(obj, *names: str) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _ids(session: Session, query: sa.Select) -> list[int]:
    return list(session.connection().execute(query).scalars())


def _entries_of(session: Session, column, value) -> list[Key]:
    return [("entry", i) for i in _ids(session, sa.select(Entry.id).where(column == value))]


# What each model's change means for the index. `change` is "new", "dirty" or "deleted";
# dependants of a deleted row are looked up before the flush, while they still point to it.

def _entry(session, obj: Entry, change: str) -> Iterable[Key]:
    return [("entry", obj.id)]


def _tag(session, obj: Tag, change: str) -> Iterable[Key]:
    if change == "new" or (change == "dirty" and not _changed(obj, "name", "slug")):
        return []
    return [("entry", i) for i in _ids(session, sa.select(entry_tags.c.entry_id).where(entry_tags.c.tag_id == obj.id))]


def _workshop(session, obj: Workshop, change: str) -> Iterable[Key]:
    keys = [("workshop", obj.id)]
    if change == "deleted" or (change == "dirty" and _changed(obj, "title", "slug", "edition_id")):
        keys += _entries_of(session, Entry.workshop_id, obj.id)
    return keys


def _edition(session, obj: Edition, change: str) -> Iterable[Key]:
    keys = [("edition", obj.id)]
    if change == "deleted" or (change == "dirty" and _changed(obj, "name", "slug", "year")):
        keys += _entries_of(session, Entry.edition_id, obj.id)
        keys += [("workshop", i) for i in _ids(session, sa.select(Workshop.id).where(Workshop.edition_id == obj.id))]
    return keys


def _question(session, obj: GuidingQuestion, change: str) -> Iterable[Key]:
    return [("workshop", obj.workshop_id)] if obj.workshop_id else []


def _structure(session, obj: Structure, change: str) -> Iterable[Key]:
    if change == "new" or (change == "dirty" and not _changed(obj, "name")):
        return []
    query = sa.select(workshop_structures.c.workshop_id).where(workshop_structures.c.structure_id == obj.id)
    return [("workshop", i) for i in _ids(session, query)]


WATCHED = {Entry: _entry, Tag: _tag, Workshop: _workshop, Edition: _edition,
           GuidingQuestion: _question, Structure: _structure}
# Deleting these cascades in the database (SET NULL / CASCADE): find dependants first.
BEFORE_DELETE = (Tag, Workshop, Edition, Structure)


def _watcher(obj):
    for cls in type(obj).__mro__:
        if cls in WATCHED:
            return WATCHED[cls]
    return None


def before_flush(session: Session, flush_context, instances) -> None:
    pending = session.info.setdefault(PENDING, set())
    for obj in session.deleted:
        if isinstance(obj, BEFORE_DELETE) and inspect(obj).persistent:
            pending.update(_watcher(obj)(session, obj, "deleted"))


def after_flush(session: Session, flush_context) -> None:
    keys: set[Key] = session.info.pop(PENDING, set())
    for change, objs in (("new", session.new), ("dirty", session.dirty), ("deleted", session.deleted)):
        for obj in objs:
            watcher = _watcher(obj)
            if watcher is None:
                continue
            if change == "dirty" and not session.is_modified(obj):
                continue
            if change == "deleted" and isinstance(obj, BEFORE_DELETE):
                continue  # gathered in before_flush
            keys.update(watcher(session, obj, change))
    enqueue(session, keys)


def enqueue(session: Session, keys: Iterable[Key]) -> None:
    """Write outbox rows for `keys` in the session's current transaction (once per key)."""
    written = session.info.setdefault(WRITTEN, set())
    new = sorted({k for k in keys if k[1] is not None and k[0] in REGISTRY} - written)
    if not new:
        return
    now = utcnow()
    session.connection().execute(
        sa.insert(SearchOutbox.__table__), [{"doc_type": t, "doc_id": i, "created_at": now} for t, i in new]
    )
    written.update(new)
    session.info[DIRTY] = True


def after_commit(session: Session) -> None:
    session.info.pop(WRITTEN, None)
    session.info.pop(PENDING, None)
    if not session.info.pop(DIRTY, False) or not has_app_context():
        return
    app = current_app._get_current_object()
    if app.config.get("SEARCH_APPLY_AFTER_COMMIT", True) is False:
        return
    from commons.search.service import IndexUnavailable, service

    try:
        service(app).catch_up()
    except IndexUnavailable:
        pass
    except Exception:  # the data is committed; the outbox keeps the work for the next try
        log.exception("mise à jour de l'index après validation échouée")


def after_soft_rollback(session: Session, previous_transaction) -> None:
    # Rows written inside the rolled-back transaction (or savepoint) are gone: forget them,
    # so a later flush of the same objects writes them again.
    session.info.pop(WRITTEN, None)
    session.info.pop(PENDING, None)
    if previous_transaction.parent is None:
        session.info.pop(DIRTY, None)


_installed = False


def install() -> None:
    """Listen on every ORM session once per process (all apps share the models)."""
    global _installed
    if _installed:
        return
    event.listen(Session, "before_flush", before_flush)
    event.listen(Session, "after_flush", after_flush)
    event.listen(Session, "after_commit", after_commit)
    event.listen(Session, "after_soft_rollback", after_soft_rollback)
    _installed = True
