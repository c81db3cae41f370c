"""Session events that write the outbox inside the writing transaction.

Each flush records the documents it touched: the rows go to `search_outbox` through the
session's own connection right away, so a change flushed early in a transaction (by a
service's `flush()` or an autoflush) is never missed by a snapshot taken at commit time,
and it commits or rolls back with the change itself. After the commit the index is brought
up to date off the request path (applier.py); after a rollback the gathered state is dropped.

Bulk `update()` and `delete()` statements run through the session skip the flush events;
`do_orm_execute` sees them instead and enqueues every document the statement's rows touch,
before it runs, so forgetting to reindex after one is impossible. A bulk `insert()` of a
searchable model cannot be seen in advance (the ids do not exist yet): it is refused loudly.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app, has_app_context, has_request_context
from flask import session as flask_session
from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, Session, object_session

from commons.editions.models import Edition, GuidingQuestion, Structure, Workshop, workshop_structures
from commons.entries.models import Entry, Tag, entry_tags
from commons.lineage.models import LineageLink
from commons.models import utcnow
from commons.search.documents import REGISTRY, lineage_keys, link_lineage_keys
from commons.search.models import SearchOutbox

log = logging.getLogger(__name__)
Key = tuple[str, int]

PENDING = "search_outbox_pending"  # keys gathered in before_flush (rows about to be deleted)
WRITTEN = "search_outbox_written"  # keys already in the outbox in this transaction
DIRTY = "search_outbox_dirty"  # this transaction wrote outbox rows: catch up after commit
NEWEST = "search_outbox_newest"  # the highest outbox id this transaction wrote
SEEN_KEY = "search_after"  # in the user's session: the index must reach this outbox id for them


def _ids(session: Session, query: sa.Select) -> list[int]:
    return list(session.connection().execute(query).scalars())


# Dependants: from the ids of changed rows of one model, the documents to reindex. They run
# before the change when rows are deleted (their dependants still point to them).

def _entry_keys(session: Session, ids: list[int]) -> list[Key]:
    return [("entry", i) for i in ids]


def _tag_keys(session: Session, ids: list[int]) -> list[Key]:
    return _entry_keys(session, _ids(session, sa.select(entry_tags.c.entry_id).where(entry_tags.c.tag_id.in_(ids))))


def _workshop_keys(session: Session, ids: list[int]) -> list[Key]:
    return [("workshop", i) for i in ids] + _entry_keys(
        session, _ids(session, sa.select(Entry.id).where(Entry.workshop_id.in_(ids))))


def _edition_keys(session: Session, ids: list[int]) -> list[Key]:
    workshops = _ids(session, sa.select(Workshop.id).where(Workshop.edition_id.in_(ids)))
    return [("edition", i) for i in ids] + [("workshop", i) for i in workshops] + _entry_keys(
        session, _ids(session, sa.select(Entry.id).where(Entry.edition_id.in_(ids))))


def _question_keys(session: Session, ids: list[int]) -> list[Key]:
    query = sa.select(GuidingQuestion.workshop_id).where(GuidingQuestion.id.in_(ids))
    return [("workshop", i) for i in _ids(session, query)]


def _structure_keys(session: Session, ids: list[int]) -> list[Key]:
    query = sa.select(workshop_structures.c.workshop_id).where(workshop_structures.c.structure_id.in_(ids))
    return [("workshop", i) for i in _ids(session, query)]


@dataclass(frozen=True)
class Watch:
    """What a change to one model means for the index.

    `own`: the documents the row is part of, whatever changed (an entry is its document; a
    guiding question is part of its workshop's). `fields`: the columns other documents copy
    (a workshop's title is in its entries' documents): when an update touches one of them, or
    the row is deleted, `dependants` gives every document to reindex (its own included).
    """

    own: Callable[[object], list[Key]]
    fields: tuple[str, ...]
    dependants: Callable[[Session, list[int]], list[Key]]


def _nothing(obj) -> list[Key]:
    return []


WATCHED: dict[type, Watch] = {
    # An entry's lineage shares one key (documents.py): a deleted entry may split it.
    Entry: Watch(lambda e: [("entry", e.id)], (), lambda s, ids: lineage_keys(s.connection(), ids)),
    LineageLink: Watch(lambda link: lineage_keys(object_session(link).connection(), [link.source_entry_id,
                       link.target_entry_id]), ("source_entry_id", "target_entry_id", "decision"),
                       lambda s, ids: link_lineage_keys(s.connection(), ids)),
    Tag: Watch(_nothing, ("name", "slug"), _tag_keys),
    Workshop: Watch(lambda w: [("workshop", w.id)], ("title", "slug", "edition_id"), _workshop_keys),
    Edition: Watch(lambda e: [("edition", e.id)], ("name", "slug", "year"), _edition_keys),
    GuidingQuestion: Watch(lambda q: [("workshop", q.workshop_id)], ("workshop_id",), _question_keys),
    Structure: Watch(_nothing, ("name",), _structure_keys),
}
_BY_TABLE = {model.__table__: model for model in WATCHED}
_HAS_DOCUMENT = {doc_type.model for doc_type in REGISTRY.values()}


def _watch(obj) -> Watch | None:
    for cls in type(obj).__mro__:
        if cls in WATCHED:
            return WATCHED[cls]
    return None


def _changed(obj, names: Iterable[str]) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def before_flush(session: Session, flush_context, instances) -> None:
    pending = session.info.setdefault(PENDING, set())
    for obj in session.deleted:
        watch = _watch(obj)
        if watch is not None and inspect(obj).persistent:
            pending.update(watch.own(obj) + watch.dependants(session, [obj.id]))


def after_flush(session: Session, flush_context) -> None:
    keys: set[Key] = session.info.pop(PENDING, set())
    for change, objs in (("new", session.new), ("dirty", session.dirty), ("deleted", session.deleted)):
        for obj in objs:
            watch = _watch(obj)
            if watch is None or (change == "dirty" and not session.is_modified(obj)):
                continue
            keys.update(watch.own(obj))  # deleted rows: their dependants were gathered before the flush
            if change == "dirty" and _changed(obj, watch.fields):
                keys.update(watch.dependants(session, [obj.id]))
    enqueue(session, keys)


class BulkInsertRefused(RuntimeError):
    """A bulk INSERT of a searchable model: the outbox cannot know the new ids."""


def before_bulk_statement(state: ORMExecuteState) -> None:
    """Enqueue what a bulk UPDATE/DELETE is about to touch; refuse a bulk INSERT of documents."""
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    mapper = state.bind_mapper
    model = mapper.class_ if mapper is not None else _BY_TABLE.get(getattr(state.statement, "table", None))
    if model not in WATCHED:
        return
    if state.is_insert:
        if model in _HAS_DOCUMENT:
            raise BulkInsertRefused(f"insert() de {model.__name__} : passez par l'ORM (session.add) pour "
                                    "que l'index de recherche soit mis à jour")
        return  # a new tag, structure or question labels nothing yet (a question is added by its workshop)
    key = model.__table__.primary_key.columns[0]
    criteria = state.statement.whereclause
    query = sa.select(key) if criteria is None else sa.select(key).where(criteria)
    enqueue(state.session, WATCHED[model].dependants(state.session, _ids(state.session, query)))


def enqueue(session: Session, keys: Iterable[Key]) -> None:
    """Write outbox rows for `keys` in the session's current transaction (once per key)."""
    written = session.info.setdefault(WRITTEN, set())
    new = sorted({k for k in keys if k[1] is not None and k[0] in REGISTRY} - written)
    if not new:
        return
    now = utcnow()
    table = SearchOutbox.__table__
    ids = session.connection().execute(
        sa.insert(table).returning(table.c.id), [{"doc_type": t, "doc_id": i, "created_at": now} for t, i in new]
    ).scalars().all()
    written.update(new)
    session.info[DIRTY] = True
    session.info[NEWEST] = max([session.info.get(NEWEST, 0), *ids])


def after_commit(session: Session) -> None:
    session.info.pop(WRITTEN, None)
    session.info.pop(PENDING, None)
    newest = session.info.pop(NEWEST, 0)
    if not session.info.pop(DIRTY, False) or not has_app_context():
        return
    if has_request_context():
        # The writer's next search waits for this id (read your own writes), on any worker.
        flask_session[SEEN_KEY] = max(newest, flask_session.get(SEEN_KEY) or 0)
    app = current_app._get_current_object()
    if app.config.get("SEARCH_APPLY_AFTER_COMMIT", True) is False:
        return
    from commons.search.service import service

    service(app).committed()


def after_soft_rollback(session: Session, previous_transaction) -> None:
    # Rows written inside the rolled-back transaction (or savepoint) are gone: forget them,
    # so a later flush of the same objects writes them again.
    session.info.pop(WRITTEN, None)
    session.info.pop(PENDING, None)
    if previous_transaction.parent is None:
        session.info.pop(DIRTY, None)
        session.info.pop(NEWEST, None)


_installed = False


def install() -> None:
    """Listen on every ORM session once per process (all apps share the models)."""
    global _installed
    if _installed:
        return
    event.listen(Session, "before_flush", before_flush)
    event.listen(Session, "after_flush", after_flush)
    event.listen(Session, "do_orm_execute", before_bulk_statement)
    event.listen(Session, "after_commit", after_commit)
    event.listen(Session, "after_soft_rollback", after_soft_rollback)
    _installed = True
