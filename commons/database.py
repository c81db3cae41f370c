"""Engine tuning per backend."""
from __future__ import annotations

from flask import Flask
from sqlalchemy import event

from commons.extensions import db


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
