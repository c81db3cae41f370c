"""Anonymous pages shared by every worker process of a host, as files.

Each process keeps the pages it rendered (pagecache.PageCache), but with four workers each one
renders every page once per change of the data: four renders where one would do. This folder
lets the others reuse the first one's: `<folder>/<database>/<generation>/<sha256 of the address>`.

A file is only ever read under the generation it was rendered at. Generations are clock-based
and never repeat (pagecache.bump), even after a database is restored from a backup, so a file
found under the current generation shows the current data. Files of other generations are dead:
the first process to write under a newer generation removes their folders, and a process that
finished rendering after the data changed again writes nothing (a newer folder exists).

A page is written under a temporary name and renamed, so a reader gets a whole page or nothing.
Past `limit` bytes in one generation (a crawler walking every `?page=`), the oldest files go.
Any error of the file system (full disk, permissions, a folder removed under our feet) only
means a render: the store is an optimisation, never a reason for a page to fail.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

Page = tuple[bytes, int, list]
SCAN_EVERY = 32  # writes between two measures of the folder's size


class SharedPages:
    def __init__(self, folder: str | os.PathLike, database_url: str, limit: int):
        # Two apps on two databases may share an instance folder: one subfolder per database.
        self.root = Path(folder) / hashlib.sha256(database_url.encode()).hexdigest()[:16]
        self.limit = limit
        self._writes = 0

    def _path(self, key: tuple[str, int]) -> Path:
        address, generation = key
        return self.root / str(generation) / hashlib.sha256(address.encode()).hexdigest()

    def get(self, key: tuple[str, int]) -> Page | None:
        try:
            data = self._path(key).read_bytes()
            head, _, body = data.partition(b"\n")
            status, headers = json.loads(head)
            return body, status, [tuple(h) for h in headers]
        except (OSError, ValueError):
            return None

    def put(self, key: tuple[str, int], page: Page) -> None:
        body, status, headers = page
        if len(body) > self.limit // 8:
            return
        path = self._path(key)
        try:
            if not self._enter(path.parent, key[1]):
                return
            temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            temporary.write_bytes(json.dumps([status, headers]).encode() + b"\n" + body)
            os.replace(temporary, path)
        except OSError:
            return
        self._writes += 1
        if self._writes % SCAN_EVERY == 0:
            self._trim(path.parent)

    def _enter(self, folder: Path, generation: int) -> bool:
        """True when pages of `generation` may be written: its folder exists or is the newest."""
        if folder.is_dir():
            return True
        self.root.mkdir(parents=True, exist_ok=True)
        others = [p for p in self.root.iterdir() if p.name.isdigit()]
        if any(int(p.name) > generation for p in others):
            return False  # the data changed while this page was rendered: nobody will ask for it
        folder.mkdir(exist_ok=True)
        for old in others:
            if int(old.name) < generation:
                shutil.rmtree(old, ignore_errors=True)
        return True

    def _trim(self, folder: Path) -> None:
        try:
            files = [(e.stat().st_mtime, e.stat().st_size, e.path) for e in os.scandir(folder) if e.is_file()]
        except OSError:
            return
        size = sum(f[1] for f in files)
        if size <= self.limit:
            return
        for _mtime, nbytes, name in sorted(files):
            if size <= self.limit * 3 // 4:
                break
            try:
                os.unlink(name)
                size -= nbytes
            except OSError:
                pass
