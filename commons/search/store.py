"""Index folders on disk: which one is current, what it has applied, whether it is sound.

Layout of COMMONS_INDEX_DIR:

    CURRENT           name of the live folder (replaced atomically: write + os.replace)
    REBUILD.lock      flock held while a process rebuilds (one rebuild at a time)
    ix-<time>-<rand>/ a Whoosh index + WRITELOCK + applied.json (this folder's outbox state)

A rebuild always writes a NEW folder and swaps CURRENT, so readers never see a half-built
index, and a crash mid-rebuild leaves the old folder live (the orphan is removed later).
Whoosh writes its table of contents to a temp file and renames it, so a process killed
while indexing leaves the previous generation readable; anything that still fails to open
is treated as broken and rebuilt from the database.
"""
from __future__ import annotations

import fcntl
import gc
import json
import logging
import os
import secrets
import shutil
import time
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from whoosh.filedb.filestore import FileStorage

from commons.search.schema import SCHEMA_VERSION, build_schema

log = logging.getLogger(__name__)

POINTER = "CURRENT"
STATE = "applied.json"
SYNCED = "synced"
REBUILD_LOCK = "REBUILD.lock"


class IndexBroken(Exception):
    """The current folder is missing, unreadable or of another schema version."""


class IndexMissing(IndexBroken):
    """No index was ever built here (first start, new host): not a fault."""


@dataclass
class OutboxState:
    """What one folder has applied: every outbox id <= watermark except the open gaps.

    On PostgreSQL ids come from a sequence when a row is inserted, but transactions commit
    in another order: id 41 may become visible after id 42. An id skipped while the
    watermark passes it is kept as a gap (with the time it was first missed) and looked for
    again on every catch-up until it shows up or is old enough to be a rolled-back insert.
    """

    schema: int = SCHEMA_VERSION
    watermark: int = 0
    gaps: dict[int, float] = field(default_factory=dict)
    synced_at: float = 0.0  # every row committed before this time was seen (gaps aside)

    def to_json(self) -> str:
        return json.dumps({"schema": self.schema, "watermark": self.watermark,
                           "gaps": {str(k): v for k, v in sorted(self.gaps.items())},
                           "synced_at": self.synced_at})

    @classmethod
    def from_json(cls, text: str) -> OutboxState:
        data = json.loads(text)
        return cls(int(data["schema"]), int(data["watermark"]),
                   {int(k): float(v) for k, v in data.get("gaps", {}).items()}, float(data.get("synced_at", 0)))


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(3)}")
    with open(tmp, "w") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class FileLock:
    """An flock on a file: released by the kernel if the holder dies (kill -9 included)."""

    def __init__(self, path: Path):
        self.path = path
        self.fd: int | None = None

    def acquire(self, timeout: float = 0.0) -> bool:
        fd = os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o644)
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self.fd = fd
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    return False
                time.sleep(0.05)

    def release(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


def _storage(path: Path) -> FileStorage:
    """Segment files read with plain reads, not mmap: Whoosh copies every mmapped compound
    file it opens into a BytesIO, so each searcher of each generation held a private copy of
    the whole index (hundreds of MB per worker at 100,000 entries). Read normally, the data
    stays in the kernel's page cache, shared by every worker, and the heap holds only what
    the caches keep (docsets.py)."""
    return FileStorage(str(path), supports_mmap=False)


class Folder:
    """One index folder: the Whoosh index plus its outbox state."""

    def __init__(self, path: Path):
        self.path = path
        self.name = path.name
        self._ix = None

    def create(self) -> Folder:
        self.path.mkdir(parents=True)
        self._ix = _storage(self.path).create_index(build_schema())
        return self

    @property
    def ix(self):
        if self._ix is None:
            self._ix = self.open_checked()
        return self._ix

    def open_checked(self):
        """Open the index or raise IndexBroken: missing TOC, unreadable, other version."""
        if not self.path.is_dir():
            raise IndexBroken(f"dossier absent : {self.path}")
        state = self.read_state()  # raises IndexBroken
        if state.schema != SCHEMA_VERSION:
            raise IndexBroken(f"version de schéma {state.schema} ≠ {SCHEMA_VERSION}")
        # A failed open leaves Whoosh's half-opened segment files to the garbage collector
        # (it even retries a few times): collect them here, quietly, not as warnings later.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            try:
                ix = _storage(self.path).open_index()
                with ix.reader() as reader:  # opening the segments proves the files are there
                    reader.doc_count()
                error = None
            except Exception as exc:  # whoosh raises many kinds (EmptyIndexError, EOFError, OSError...)
                error = f"{exc.__class__.__name__}: {exc}"
            if error:
                gc.collect()
                raise IndexBroken(f"index illisible ({error})")
        if set(ix.schema.names()) != set(build_schema().names()):
            raise IndexBroken("champs du schéma différents")
        return ix

    def read_state(self) -> OutboxState:
        try:
            return OutboxState.from_json((self.path / STATE).read_text())
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IndexBroken(f"état illisible ({exc})") from exc

    def write_state(self, state: OutboxState) -> None:
        _write_atomic(self.path / STATE, state.to_json())

    def synced_at(self, state: OutboxState) -> float:
        try:
            touched = (self.path / SYNCED).stat().st_mtime
        except OSError:
            touched = 0.0
        return max(state.synced_at, touched)

    def touch_synced(self) -> None:
        # No lock needed: only the time moves, and it only moves forward in practice.
        path = self.path / SYNCED
        try:
            path.touch()
        except OSError:
            pass

    def writer(self, timeout: float):
        """A Whoosh writer, or None when another thread or process holds the lock."""
        from whoosh.index import LockError

        try:
            return self.ix.writer(timeout=timeout, delay=0.02)
        except LockError:
            return None


def segments_to_merge(segments: list, big: int) -> list:
    """The segments a commit merges: Whoosh's MERGE_SMALL rule (ascending sizes; a segment
    joins while the running total stays under fib(i + 5)), but only among segments of fewer
    than `big` documents. A rebuild's big segments are never merged again: merging them would
    rewrite the whole index inside one commit (at 300,000 entries in 23 segments, the rule
    alone merged everything: minutes during which no save reached the index)."""
    from whoosh.util import fib

    small = sorted((s for s in segments if 0 < s.doc_count_all() < big), key=lambda s: s.doc_count_all())
    chosen, total = [], 0
    for i, segment in enumerate(small):
        total += segment.doc_count_all()
        if total >= fib(i + 5):
            break
        chosen.append(segment)
    return chosen if len(chosen) > 1 else []


def merge_small_keep_order(writer, segments):
    """Merge what `segments_to_merge` chooses; the other segments keep their order.

    Whoosh's MERGE_SMALL returns them sorted by size, which moves every document number whenever
    small segments are merged; here the big segments of a rebuild stay first, at the same
    offsets, so the document sets cached for them stay valid across generations (docsets.py).
    """
    from whoosh.reading import SegmentReader

    from commons.search import docsets

    merged = segments_to_merge(segments, docsets.HEAD_MIN_DOCS)
    for segment in merged:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        writer.add_reader(reader)
        reader.close()
    chosen = {id(segment) for segment in merged}
    return [segment for segment in segments if id(segment) not in chosen]


class Root:
    """The index root folder of one host: finds, opens and swaps the current folder."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._pointer_sig = None
        self._folder: Folder | None = None

    def pointer_signature(self):
        try:
            st = (self.path / POINTER).stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def current(self) -> Folder:
        """The live folder (opened lazily), re-read whenever CURRENT changes."""
        sig = self.pointer_signature()
        if sig is None:
            raise IndexMissing("aucun index (fichier CURRENT absent)")
        if sig != self._pointer_sig or self._folder is None:
            name = (self.path / POINTER).read_text().strip()
            if not name or "/" in name or name.startswith("."):
                raise IndexBroken("fichier CURRENT invalide")
            self._folder = Folder(self.path / name)
            self._pointer_sig = sig
        return self._folder

    def forget(self) -> None:
        self._folder = None
        self._pointer_sig = None

    def new_folder(self) -> Folder:
        self.path.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        return Folder(self.path / f"ix-{stamp}-{secrets.token_hex(4)}").create()

    def swap(self, folder: Folder) -> None:
        _write_atomic(self.path / POINTER, folder.name + "\n")
        self.forget()

    def rebuild_lock(self) -> FileLock:
        self.path.mkdir(parents=True, exist_ok=True)
        return FileLock(self.path / REBUILD_LOCK)

    def remove_others(self, keep: set[str]) -> None:
        """Delete folders other than `keep` (call with the rebuild lock held).

        Readers that still have an old folder open keep working on Linux: unlinked files
        live on until closed; a process that opens the old name after this re-reads CURRENT.
        """
        for child in self.path.glob("ix-*"):
            if child.is_dir() and child.name not in keep:
                shutil.rmtree(child, ignore_errors=True)
