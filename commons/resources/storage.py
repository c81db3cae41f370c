"""Files under UPLOADS_DIR, kept in step with the transaction that references them.

A file is written to a temporary name, then renamed to a random name (nothing a person typed
ever reaches a path). Until the transaction commits, it is only "pending": a rollback (a
refused form, an error, a session closed without commit) removes it, so no file outlives the
row that was to name it. A deleted resource's file goes the other way: it is removed only
once the deletion is committed, so a rolled-back deletion loses nothing.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

PENDING = "resources_pending_files"  # written in this transaction: removed unless it commits
DOOMED = "resources_doomed_files"  # deleted in this transaction: removed once it commits
CHUNK = 64 * 1024


class TooLarge(Exception):
    pass


@dataclass(frozen=True)
class Stored:
    path: Path
    size: int
    sha256: str


def folder() -> Path:
    path = Path(current_app.config["UPLOADS_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def path_of(stored_name: str) -> Path:
    return Path(current_app.config["UPLOADS_DIR"]) / stored_name


def write_temporary(stream: BinaryIO, limit: int) -> Stored:
    """Copy `stream` to a temporary file of the uploads folder, at most `limit` bytes (TooLarge
    beyond, the partial file removed), hashing it on the way."""
    path = folder() / f".tmp-{secrets.token_hex(16)}"
    digest, size = hashlib.sha256(), 0
    try:
        with open(path, "xb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise TooLarge
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        discard(path)
        raise
    return Stored(path, size, digest.hexdigest())


def keep(session: Session, temporary: Path) -> str:
    """Rename a checked temporary file to its random stored name; pending until commit."""
    name = secrets.token_hex(16)
    final = temporary.with_name(name)
    os.replace(temporary, final)
    session.info.setdefault(PENDING, []).append(final)
    return name


def remove_after_commit(session: Session, stored_name: str) -> None:
    session.info.setdefault(DOOMED, []).append(path_of(stored_name))


def discard(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def _after_commit(session: Session) -> None:
    session.info.pop(PENDING, None)  # referenced by committed rows: kept
    for path in session.info.pop(DOOMED, []):
        discard(path)


def _after_transaction_end(session: Session, transaction) -> None:
    # After a commit the lists are already empty; otherwise the transaction was rolled back
    # or closed: what it wrote goes, what it deleted stays.
    if transaction.parent is None:
        for path in session.info.pop(PENDING, []):
            discard(path)
        session.info.pop(DOOMED, None)


_installed = False


def install() -> None:
    global _installed
    if not _installed:
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_transaction_end", _after_transaction_end)
        _installed = True
