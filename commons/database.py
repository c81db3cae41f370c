"""Engine tuning per backend, and the limits a backend puts on what a URL or a form may ask for."""
from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from flask import Flask
from sqlalchemy import event

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


def configure_engine(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
