"""The database side of every request: engine tuning, one commit per request, compare-and-set,
and the limits a backend puts on what a URL or a form may ask for."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import sqlalchemy as sa
from flask import Flask, Response, request
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.attributes import set_committed_value

from commons.extensions import db

# PostgreSQL integer columns stop here: a larger id, from a URL or a form, names nothing
# (asking the database would raise an overflow, on SQLite too).
ID_MAX = 2**31 - 1

T = TypeVar("T")


def is_storable_id(value: int) -> bool:
    return 0 < value <= ID_MAX


def parse_int(raw: str | None, *, minimum: int = 1) -> int | None:
    """A whole number typed as ASCII digits, from `minimum` up to what a column holds; else None.

    `str.isdigit()` alone accepts "²" or "١", which `int()` rejects or reads as another
    number, and an unbounded value overflows an integer column.
    """
    raw = raw or ""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(ID_MAX)):
        return None
    value = int(raw)
    return value if minimum <= value <= ID_MAX else None


def get_by_id(model: type[T], ident: int) -> T | None:
    """`db.session.get`, but an id no column can hold is simply unknown."""
    return db.session.get(model, ident) if is_storable_id(ident) else None


def storable_ids(ids: Iterable[int]) -> list[int]:
    """The ids worth an IN (...) query; the others cannot match a row."""
    return [i for i in ids if is_storable_id(i)]


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets readers work while one writer commits; busy_timeout makes a writer wait for
    # the lock instead of failing with "database is locked" when workers write together.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_functions(dbapi_connection, _record) -> None:
    # SQLite cannot drop accents, nor lowercase beyond ASCII: searches that ignore both (the
    # accounts list) call the project's own folding, so that the column meets the folded query.
    from commons.text import fold

    dbapi_connection.create_function("commons_fold", 1, lambda value: None if value is None else fold(value),
                                     deterministic=True)


def configure_engine(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "connect", _sqlite_functions)


# --- one commit per request ------------------------------------------------------------------

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def init_app(app: Flask) -> None:
    configure_engine(app)
    app.after_request(end_request)


def end_request(response: Response) -> Response:
    """The request's unit of work: views and services never commit.

    A request that changes something (POST...) and answers without error commits what its
    services flushed, once; one that answers 4xx or 5xx rolls everything back, so a refused
    form can never leave half its work behind. Refusals therefore answer with an error
    status (the form again, 409 for a conflict), never with a redirect. Reading requests
    write nothing; their session is closed with the application context.
    """
    if request.method in SAFE_METHODS:
        return response
    if response.status_code < 400:
        db.session.commit()
    else:
        db.session.rollback()
    return response


def discard_changes() -> None:
    """Roll the request back now rather than at its end, for a request that will answer 4xx
    (which end_request would roll back anyway) and must first write a record apart: on SQLite,
    the write lock its own changes hold would keep that other connection waiting."""
    db.session.rollback()


@contextmanager
def unit_of_work() -> Iterator[None]:
    """The same rule outside a request (CLI commands): commit on success, roll back on error."""
    try:
        yield
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()


# --- writing helpers ---------------------------------------------------------------------------

def claim(obj, attribute: str, expected, new) -> bool:
    """Compare-and-set one column of `obj`'s row: write `new` only where it still holds `expected`.

    False when another transaction changed it first. The check and the write are one UPDATE,
    so two requests that both read "pending" cannot both win, on either database; and the
    loser learns it before it has written anything (unlike a version column, whose
    StaleDataError leaves the session unusable until a rollback).
    """
    model = type(obj)
    column = getattr(model, attribute)
    key = sa.inspect(model).primary_key[0]
    result = db.session.execute(
        sa.update(model).where(key == sa.inspect(obj).identity[0], column == expected)
        .values({attribute: new}).execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    set_committed_value(obj, attribute, new)
    return True


def insert_or_ignore(table: sa.Table, rows: list[dict], index_elements: list[str]) -> int:
    """INSERT … ON CONFLICT DO NOTHING; returns how many rows were really inserted.

    Two requests creating the same unique row at the same moment both succeed, one of them
    inserting nothing, instead of one failing with an IntegrityError that would poison its
    session.
    """
    if not rows:
        return 0
    insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    # RETURNING, not rowcount: psycopg reports -1 for this statement.
    statement = insert(table).values(rows).on_conflict_do_nothing(index_elements=index_elements)
    return len(db.session.execute(statement.returning(*table.primary_key.columns)).all())
