"""Pages for anonymous readers rendered once per change of the data, not once per visit.

Everyone without a session cookie sees the same page at a given address, so each process
keeps the pages it renders for them (bounded in bytes), with the data generation they were
rendered at. Every transaction that writes through the ORM bumps that generation in the same
transaction (one row, `data_generation`), so a kept page is served only while nothing has
changed anywhere since it was rendered: the first reader after a change renders it again.
The generation is read before rendering, so a page is never kept under a generation older
than what it shows.

Not kept: requests with any cookie (signed-in or remembered people, anyone who opened a
form: a CSRF token lives in the session), responses that set a cookie, anything but a 200 to a
GET, and static files. A view whose page depends on more than the database says so with
`@kept_with(token)`: search results follow the index, which lags the
database, so they are kept under the index's generation as well (a token read before
rendering, like the data generation; None when there is nothing to name: not kept).
Writes made below the ORM (Core statements in CLI commands, migrations) call `bump`.

Behind each process's cache, the worker processes of a host share the pages they render through
files (commons/pagestore.py): after a change, one worker renders a page for all of them.
"""
from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

import sqlalchemy as sa
from flask import Flask, Response, current_app, g, request, session
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from commons.extensions import db
from commons.pagestore import SharedPages

WROTE = "pagecache_wrote"
DEFAULT_MB = 32
SHARED_DEFAULT_MB = 256


class DataGeneration(db.Model):
    """One row: a number every writing transaction increases."""

    __tablename__ = "data_generation"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(sa.BigInteger, default=0)


def kept_with(token: Callable[[], str | None]):
    """Mark a view whose anonymous page also depends on the state `token()` names."""
    def mark(view):
        view.page_token = token
        return view
    return mark


def bump(connection: sa.Connection) -> None:
    """Increase the generation in `connection`'s transaction (an upsert: the row may be missing).

    The new value is at least the clock in microseconds: a database restored from a backup, or
    emptied and filled again, goes on from a number it never had, so no page kept (here or in the
    shared folder) for an earlier state can match it.
    """
    table = DataGeneration.__table__
    now = time.time_ns() // 1000
    if connection.dialect.name == "postgresql":
        insert, newer = postgresql.insert, sa.func.greatest(table.c.value + 1, now)
    else:
        insert, newer = sqlite.insert, sa.func.max(table.c.value + 1, now)
    statement = insert(table).values(id=1, value=now)
    connection.execute(statement.on_conflict_do_update(index_elements=["id"], set_={"value": newer}))


class PageCache:
    def __init__(self, limit: int):
        self.limit = limit
        self.size = 0
        self._pages: OrderedDict = OrderedDict()
        self._lock = threading.Lock()  # threaded servers share one cache per process

    def get(self, key):
        with self._lock:
            hit = self._pages.get(key)
            if hit is not None:
                self._pages.move_to_end(key)
            return hit

    def put(self, key, page: tuple[bytes, int, list]) -> None:
        nbytes = len(page[0]) + 512
        if nbytes > self.limit // 8:
            return
        with self._lock:
            old = self._pages.pop(key, None)
            self.size += nbytes - (len(old[0]) + 512 if old else 0)
            self._pages[key] = page
            while self.size > self.limit and self._pages:
                _, (body, _s, _h) = self._pages.popitem(last=False)
                self.size -= len(body) + 512


GENERATION = sa.select(DataGeneration.value).where(DataGeneration.id == 1)


class GenerationReader:
    """Reads the data generation on connections of its own, kept open in autocommit.

    Through the request's session, a kept page cost four round trips to PostgreSQL (the pool's
    ping, BEGIN, the SELECT, the ROLLBACK at the end of the request): most of its time. A
    connection that does nothing else needs neither a ping nor a transaction: one round trip.
    At most KEEP are kept (threads take one and give it back); an error drops the connection
    and the caller reads through the session, which pings and reconnects. Disposing of the
    engine closes them.
    """

    KEEP = 4

    def __init__(self, engine: sa.Engine):
        self.engine = engine
        self.pid = os.getpid()
        self._idle: list[sa.Connection] = []
        self._lock = threading.Lock()
        event.listen(engine, "engine_disposed", lambda _engine: self.close())

    def read(self) -> int | None:
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            value = conn.scalar(GENERATION)
        except sa.exc.SQLAlchemyError:
            conn.invalidate()
            conn.close()
            raise
        with self._lock:
            if len(self._idle) < self.KEEP:
                self._idle.append(conn)
                return value
        conn.close()
        return value

    def close(self) -> None:
        """Close the kept connections for good: the engine's pool is being disposed of, and a
        connection given back to a disposed pool would stay open until collected."""
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.invalidate()
            conn.close()


def _generation() -> int | None:
    reader = current_app.extensions.get("commons.pagecache.reader")
    if reader is None or reader.pid != os.getpid() or reader.engine is not db.engine:
        # A worker forked after its parent read keeps its own connections (never the parent's socket).
        reader = current_app.extensions["commons.pagecache.reader"] = GenerationReader(db.engine)
    try:
        return reader.read()
    except sa.exc.SQLAlchemyError:
        return db.session.scalar(GENERATION)


def _address() -> str | None:
    """What names the page besides the data generation: its address, and its view's token."""
    view = current_app.view_functions.get(request.endpoint)
    token = getattr(view, "page_token", None)
    if token is None:
        return request.full_path
    value = token()
    return None if value is None else f"{request.full_path}\n{value}"


def _cacheable_request() -> bool:
    if request.method != "GET" or request.endpoint in (None, "static"):
        return False
    if float(current_app.config.get("PAGE_CACHE_MB", DEFAULT_MB)) <= 0:
        return False
    return not request.cookies  # a session, a remember-me cookie: this reader may be someone


def serve_kept():
    """Before anything else: the kept page for this address, if the data has not changed."""
    if not _cacheable_request():
        return None
    generation = _generation()
    address = _address() if generation is not None else None  # a search's token costs a look at the index
    if address is None:
        return None
    g.page_key = key = (address, generation)
    hit = _cache().get(key)
    if hit is None and (shared := _shared()) is not None:
        hit = shared.get(key)
        if hit is not None:
            _cache().put(key, hit)
    if hit is None:
        return None
    body, status, headers = hit
    g.page_served = True
    return Response(body, status=status, headers=headers)


def keep(response: Response) -> Response:
    """After rendering: keep a page every anonymous reader may share."""
    key = g.get("page_key")
    # The session cookie is written after this hook: a session changed by the page (a form's
    # CSRF token) would not show in the headers yet, and that page belongs to one reader.
    if (key is None or g.get("page_served") or response.status_code != 200 or response.direct_passthrough
            or session.modified or "Set-Cookie" in response.headers or not _cacheable_request()):
        return response
    headers = [(k, v) for k, v in response.headers.items() if k.lower() not in {"content-length", "etag"}]
    page = (response.get_data(), response.status_code, headers)
    _cache().put(key, page)
    if (shared := _shared()) is not None:
        shared.put(key, page)
    return response


def _cache() -> PageCache:
    cache = current_app.extensions.get("commons.pagecache")
    if cache is None:
        limit = int(float(current_app.config.get("PAGE_CACHE_MB", DEFAULT_MB)) * 2**20)
        cache = current_app.extensions["commons.pagecache"] = PageCache(limit)
    return cache


def _shared() -> SharedPages | None:
    store = current_app.extensions.get("commons.pagestore", False)
    if store is False:
        limit = int(float(current_app.config.get("PAGE_CACHE_SHARED_MB", SHARED_DEFAULT_MB)) * 2**20)
        folder = current_app.config.get("PAGE_CACHE_DIR")
        store = SharedPages(folder, str(db.engine.url), limit) if limit > 0 and folder else None
        current_app.extensions["commons.pagestore"] = store
    return store


# --- bumping the generation in every writing transaction ----------------------------------------

def _after_flush(session: Session, _context) -> None:
    session.info[WROTE] = True


def _bulk(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[WROTE] = True


def _before_commit(session: Session) -> None:
    # Runs before the commit's own flush: pending changes count as a write too.
    pending = session.new or session.deleted or any(session.is_modified(o) for o in session.dirty)
    if session.info.pop(WROTE, False) or pending:
        bump(session.connection())


def _after_commit(session: Session) -> None:
    session.info.pop(WROTE, None)  # set again by the commit's own flush, already counted


def _after_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(WROTE, None)


_installed = False


def init_app(app: Flask) -> None:
    """Call after every other after_request hook is registered: `keep` must see the page
    before conditional_get turns it into a 304."""
    global _installed
    if not _installed:
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "do_orm_execute", _bulk)
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", _after_rollback)
        _installed = True
    app.before_request_funcs.setdefault(None, []).insert(0, serve_kept)
    app.after_request(keep)
