"""Keeping one host's index folder in step with the database through the outbox.

Whoever brings the index up to date (the applier thread or worker, a writer's own next
search, the CLI) calls `catch_up`. It takes the folder's Whoosh write lock WITHOUT waiting
long: if another thread or process holds it, that holder re-checks the outbox after
releasing the lock, so the work is done by it (or by the next round), and no request ever
sees a LockError.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

import sqlalchemy as sa
from flask import Flask, current_app

from commons.extensions import db
from commons.search import applier, building, facets
from commons.search.applier import Applier, ApplierMode
from commons.search.docsets import PostingsCache
from commons.search.documents import REGISTRY, count_all, doc_key, load_documents
from commons.search.lexicon import Lexicon, recording
from commons.search.lexicon import cached as cached_lexicon
from commons.search.models import SearchOutbox
from commons.search.outbox import advance, covers, initial_state, own_writes, pending_exists, prune
from commons.search.store import STATE, Folder, IndexBroken, IndexMissing, OutboxState, Root, merge_small_keep_order

log = logging.getLogger(__name__)
outbox = SearchOutbox.__table__

APPLY_BATCH = 2000
SEARCH_CACHE_BYTES_PER_DOC = 1536
CACHE_MIN_BYTES, CACHE_MAX_BYTES = 16 * 2**20, 192 * 2**20
RETIRE_SECONDS = 30
DEFAULTS = {
    # An outbox id missing below the watermark is looked for again this long: longer than
    # any transaction that writes to the outbox may stay open.
    "SEARCH_GAP_SECONDS": 3600,
    "SEARCH_OUTBOX_RETENTION_DAYS": 7,
    # Below this many documents a broken or missing index is rebuilt inside the request
    # that finds it; above, in a background thread while searches answer "en reconstruction".
    "SEARCH_SYNC_REBUILD_MAX": 20_000,
    "SEARCH_LOCK_TIMEOUT": 0.0,  # after a commit: never make the user wait for the lock
    "SEARCH_READ_LOCK_TIMEOUT": 0.15,  # inline mode, before a search: a short wait for the lock
    # Before a search by someone who just saved: how long to wait for the index to show it.
    "SEARCH_OWN_WRITE_WAIT": 2.0,
    # Memory for the caches searches share (postings and document sets), in MB. None: sized
    # to the corpus, SEARCH_CACHE_BYTES_PER_DOC per document within the bounds below.
    "SEARCH_CACHE_MB": None,
    "SEARCH_REBUILD_PROCESSES": None,  # None: one per core, up to 4
    **applier.DEFAULTS,
}


class IndexUnavailable(Exception):
    """The index is being rebuilt in the background; searches cannot be answered yet."""


class SearchService:
    """Per-app search state: index root, cached searcher, configuration."""

    def __init__(self, app: Flask):
        self.app = app
        self.root = Root(app.config["COMMONS_INDEX_DIR"])
        self.config = {k: app.config.get(k, v) for k, v in DEFAULTS.items()}
        self._lock = threading.RLock()
        # Held while anything reads through the shared searcher (engine.search, facets.warm):
        # its files are read by seek + read on shared handles, which threads must not interleave.
        self.reading = threading.RLock()
        self._searcher = None
        self._searcher_folder = None
        self._retired: list[tuple[float, object]] = []
        self._rebuilding: threading.Thread | None = None
        self._last_prune = 0.0
        self._last_touch = 0.0
        self.facet_cache: dict = {}  # segment id → date column (segments never change)
        self.postings_cache = PostingsCache()  # postings per segment, head document sets
        self.mode = ApplierMode(self.config["SEARCH_APPLIER"])
        self._applier: Applier | None = None

    @property
    def applier(self) -> Applier:
        if self._applier is None:
            self._applier = Applier(self.app, self.catch_up, self.config, self._applied_at)
        return self._applier

    def _applied_at(self) -> float:
        """When a process of this host last applied the outbox (the state file's time)."""
        try:
            return (self.root.current().path / STATE).stat().st_mtime
        except (OSError, IndexMissing, IndexBroken):
            return 0.0

    def committed(self) -> None:
        """A transaction wrote outbox rows: get them applied, off the request path but inline."""
        if self.mode is ApplierMode.THREAD:
            self.applier.wake()
        elif self.mode is ApplierMode.INLINE:
            self._quietly(self.catch_up)

    # --- folder -------------------------------------------------------------------------------

    def folder(self) -> Folder:
        """The current folder, opened and checked; rebuilt first when missing or broken."""
        try:
            folder = self.root.current()
            folder.ix  # noqa: B018 (opening checks it)
            return folder
        except IndexMissing:
            log.info("pas encore d'index de recherche ici : construction depuis la base")
            self.root.forget()
            return self._recover()
        except IndexBroken as exc:
            log.warning("index de recherche inutilisable (%s) : reconstruction", exc)
            self.root.forget()
            return self._recover()

    def _recover(self, stale: Folder | None = None) -> Folder:
        """Rebuild a missing, broken or `stale` folder: inside this request when the database
        is small, else in a background thread while searches answer "en reconstruction"."""
        if self._rebuilding is not None and self._rebuilding.is_alive():
            raise IndexUnavailable()
        with db.engine.connect() as conn:
            small = count_all(conn) <= self.config["SEARCH_SYNC_REBUILD_MAX"]
        if not small:
            app = current_app._get_current_object()

            def run():
                with app.app_context():
                    try:
                        self.rebuild(wait=600, replacing=stale)
                    except Exception:  # logged: the next search will try again
                        log.exception("reconstruction de l'index en arrière-plan échouée")

            self._rebuilding = threading.Thread(target=run, name="search-rebuild", daemon=True)
            self._rebuilding.start()
            if stale is not None:
                return stale  # still searchable meanwhile, only possibly incomplete
            raise IndexUnavailable()
        return self.rebuild(wait=60, replacing=stale, only_if_broken=stale is None)

    # --- rebuild ------------------------------------------------------------------------------

    def rebuild(self, progress: Callable[[int], None] | None = None, wait: float = 0.0,
                only_if_broken: bool = False, replacing: Folder | None = None) -> Folder:
        """Build a new folder from the database, catch it up, swap it in."""
        lock = self.root.rebuild_lock()
        if not lock.acquire(timeout=wait):
            raise IndexUnavailable()
        try:
            if replacing is not None and self.root.current().name != replacing.name:
                return self.root.current()  # another process already replaced it
            if only_if_broken:  # another process may have rebuilt while we waited for the lock
                try:
                    folder = self.root.current()
                    folder.ix  # noqa: B018
                    return folder
                except IndexBroken:
                    self.root.forget()
            started = time.time()
            folder = self.root.new_folder()
            lexicon = Lexicon({})
            with db.engine.connect() as conn:
                state = initial_state(conn)
                docs = (doc for dt in REGISTRY.values() for batch in dt.iter_all(conn) for doc in batch)
                building.write_all(folder, docs, lexicon, progress, self._rebuild_processes(count_all(conn)))
            lexicon.save(folder.path)
            state.synced_at = started
            folder.write_state(state)
            self._apply_all(folder)  # what changed while we were reading
            self.root.swap(folder)
            self.root.remove_others({folder.name})
            with self._lock:
                self._retire(self._searcher)
                self._searcher = None
                self.facet_cache.clear()
                self.postings_cache.clear()
            self._warm_facets()
            return folder
        finally:
            lock.release()

    def _rebuild_processes(self, documents: int) -> int:
        """Worker processes for a rebuild: one per core for a big one, none for a small one
        (starting Python processes costs more than indexing a few thousand documents)."""
        wanted = self.config["SEARCH_REBUILD_PROCESSES"]
        wanted = min(4, os.cpu_count() or 1) if wanted is None else int(wanted)
        return wanted if documents > 2 * building.REBUILD_SEGMENT_DOCS else 1

    def _apply_all(self, folder: Folder) -> None:
        while True:
            writer = folder.writer(timeout=30)
            if writer is None:
                raise IndexUnavailable()
            if not self._apply_batch(folder, writer):
                return

    # --- catching up --------------------------------------------------------------------------

    def catch_up(self, timeout: float | None = None, rounds: int = 50) -> bool:
        """Apply pending outbox rows to this host's folder. True when nothing is left for us:
        applied, or left to the process holding the lock (which re-checks after releasing it).
        """
        timeout = self.config["SEARCH_LOCK_TIMEOUT"] if timeout is None else timeout
        folder = self.folder()
        for _ in range(rounds):
            state = folder.read_state()
            if self._is_stale(folder, state):
                log.warning("index trop ancien (le journal a été purgé depuis) : reconstruction")
                rebuilt = self._recover(stale=folder)
                if rebuilt is folder:
                    return False
                folder = rebuilt
                continue
            with db.engine.connect() as conn:
                if not pending_exists(conn, state):
                    self._after_idle(folder, conn)
                    return True
            writer = folder.writer(timeout)
            if writer is None:
                return False
            try:
                self._apply_batch(folder, writer)
            finally:
                if not writer.is_closed:
                    writer.cancel()
            self._warm_facets()
        return False

    def _warm_facets(self) -> None:
        """Read the new generation's facets now (the applier's thread, off the request path)
        and save them beside its segments for the other processes."""
        try:
            with self.reading:
                searcher = self.searcher()
                facets.warm(self.facet_cache, searcher, self._searcher_folder.path)
        except (OSError, IndexUnavailable) as exc:  # the next search reads them itself
            log.info("facettes non préparées : %s", exc)

    def _apply_batch(self, folder: Folder, writer) -> bool:
        """Apply up to APPLY_BATCH rows with the write lock held (the writer holds it).
        Returns True when more rows may be waiting."""
        state = folder.read_state()  # re-read under the lock: another process may have moved it
        started = time.time()
        with db.engine.connect() as conn:
            rows = conn.execute(
                sa.select(outbox.c.id, outbox.c.doc_type, outbox.c.doc_id)
                .where(sa.or_(outbox.c.id > state.watermark, outbox.c.id.in_(list(state.gaps))))
                .order_by(outbox.c.id).limit(APPLY_BATCH)
            ).all()
            if not rows:
                writer.cancel()
                state.synced_at = started
                folder.write_state(state)
                return False
            docs = load_documents(conn, {(r.doc_type, r.doc_id) for r in rows})
        with recording(writer) as words:
            for (doc_type, doc_id), fields in docs.items():
                if fields is None:
                    writer.delete_by_term("key", doc_key(doc_type, doc_id))
                else:
                    writer.update_document(**fields)
        writer.commit(mergetype=merge_small_keep_order)
        lexicon = cached_lexicon(folder.path)
        if lexicon.merge(words):
            lexicon.save(folder.path)
        folder.write_state(advance(state, [r.id for r in rows], started, self.config["SEARCH_GAP_SECONDS"],
                                   full=len(rows) == APPLY_BATCH))
        return len(rows) == APPLY_BATCH

    def _is_stale(self, folder: Folder, state: OutboxState) -> bool:
        """True when rows this folder never saw may have been pruned from the outbox."""
        retention = self.config["SEARCH_OUTBOX_RETENTION_DAYS"] * 86400
        # A margin of a tenth of the retention: clocks drift, and prune runs lazily.
        if time.time() - folder.synced_at(state) <= retention * 0.9:
            return False
        with db.engine.connect() as conn:
            oldest = conn.execute(sa.select(sa.func.min(outbox.c.id))).scalar()
        # Pruning deletes from the oldest id up: if the oldest row left is just above the
        # watermark, nothing unseen was deleted (an idle week alone forces no rebuild).
        return oldest is not None and (oldest > state.watermark + 1 or any(g < oldest for g in state.gaps))

    def _after_idle(self, folder: Folder, conn: sa.Connection) -> None:
        now = time.time()
        if now - self._last_touch > 600:
            self._last_touch = now
            folder.touch_synced()
        if now - self._last_prune > 3600:
            self._last_prune = now
            prune(conn, self.config["SEARCH_OUTBOX_RETENTION_DAYS"])

    def index_token(self) -> str | None:
        """Names the index's current state (folder and generation), for the search pages kept
        for anonymous readers (pagecache.kept_with); None when it cannot be read now."""
        try:
            folder = self.root.current()
            return f"{folder.name}:{folder.ix.latest_generation()}"
        except Exception:  # missing, broken, being rebuilt: the view deals with it, uncached
            return None

    # --- searcher -----------------------------------------------------------------------------

    def searcher(self):
        """A searcher on the latest committed generation, reused while the index is unchanged."""
        folder = self.folder()
        with self._lock:
            s = self._searcher
            if s is None or self._searcher_folder is not folder or not s.up_to_date():
                self._retire(s)
                try:
                    s = folder.ix.searcher()
                except Exception as exc:  # files damaged since the folder was opened
                    log.warning("index de recherche illisible (%s) : reconstruction", exc)
                    (folder.path / STATE).unlink(missing_ok=True)  # marks it broken for every process
                    self.root.forget()
                    folder = self.folder()
                    s = folder.ix.searcher()
                s._commons_folder = folder.path  # where facets.py saves what it read
                self._searcher, self._searcher_folder = s, folder
                self.postings_cache.resize(self.cache_budget(s.doc_count_all()))
            return s

    def cache_budget(self, documents: int) -> int:
        configured = self.config["SEARCH_CACHE_MB"]
        if configured is not None:
            return int(float(configured) * 2**20)
        return min(CACHE_MAX_BYTES, max(CACHE_MIN_BYTES, documents * SEARCH_CACHE_BYTES_PER_DOC))

    def _retire(self, searcher) -> None:
        """Close replaced searchers once no request can still be reading them: another
        thread may be in the middle of a search on the one just replaced."""
        now = time.monotonic()
        if searcher is not None:
            # The caches built for the searcher (document sets, dates) go now: a request still
            # reading it holds its own reference; retired searchers must not keep them alive.
            searcher.__dict__.pop("_commons_docsets", None)
            searcher.__dict__.pop("_commons_columns", None)
            searcher.__dict__.pop("_commons_facets", None)
            self._retired.append((now, searcher))
        while self._retired and (now - self._retired[0][0] > RETIRE_SECONDS or len(self._retired) > 8):
            self._retired.pop(0)[1].close()

    def close(self) -> None:
        if self._applier is not None:
            self._applier.stop(final=True)
        with self._lock:
            for _, s in self._retired:
                s.close()
            self._retired.clear()
            if self._searcher is not None:
                self._searcher.close()
            self._searcher = None
            self.facet_cache.clear()
            self.postings_cache.clear()

    def prepare_search(self, wait_for: int | None = None) -> None:
        """Before answering a search. Inline mode catches up cheaply; otherwise the index is
        the applier's job, and only a reader who just saved (`wait_for`: the newest outbox id
        their writes made) waits until the index has applied it."""
        folder = self.folder()
        if self.mode is ApplierMode.INLINE:
            self._quietly(self.catch_up, timeout=self.config["SEARCH_READ_LOCK_TIMEOUT"], rounds=3)
            return
        if self.mode is ApplierMode.THREAD:
            self.applier.ensure_running()
        wait_for = own_writes() if wait_for is None else wait_for
        if wait_for and not covers(folder.read_state(), wait_for):
            self._quietly(self.catch_up, timeout=self.config["SEARCH_OWN_WRITE_WAIT"], rounds=3)

    def _quietly(self, catch_up, **options) -> None:
        try:
            catch_up(**options)
        except IndexUnavailable:
            pass  # being rebuilt: the rebuild applies the outbox when it ends
        except Exception:  # the data is committed; a search still answers from the index it has
            log.exception("mise à jour de l'index de recherche échouée")


def service(app: Flask | None = None) -> SearchService:
    app = app or current_app._get_current_object()
    svc = app.extensions.get("commons.search")
    if svc is None:
        svc = app.extensions["commons.search"] = SearchService(app)
    return svc
