"""Index work off the request path: one applier thread per process, or a worker process.

A commit that wrote outbox rows only wakes this process's applier and returns: the user's
request does not wait for Whoosh. The applier lets a short moment pass so that the commits
of that moment go into ONE index commit (one new generation, one new searcher and set of
facet caches per interval, not per save), then catches up. It also polls the outbox now and
then, which is how it learns about commits made by other processes and other hosts.

Several workers share a host's index folder: whoever holds the folder's write lock applies
every pending row, the others find nothing left. The one guarantee that stays on the request
path is the writer's own: a search by someone who just saved waits (briefly) until the index
has applied their change (`SearchService.prepare_search(wait_for=…)`).

Modes (`SEARCH_APPLIER`): "thread" (default), "worker" (web processes never apply; run
`flask --app wsgi search worker` beside them), "inline" (the committing request applies:
single-process development and most tests).
"""
from __future__ import annotations

import enum
import logging
import os
import threading
import time

from flask import Flask

log = logging.getLogger(__name__)


class ApplierMode(enum.StrEnum):
    THREAD = "thread"
    WORKER = "worker"
    INLINE = "inline"


DEFAULTS = {
    "SEARCH_APPLIER": ApplierMode.THREAD.value,
    # After a wake-up, wait this long for more commits to join the same index commit.
    "SEARCH_APPLY_DELAY": 0.05,
    # At most about one index commit per interval per host: each commit is a new generation
    # that every process must reopen, and merges the small segments of the ones before.
    "SEARCH_APPLY_INTERVAL": 0.5,
    # How often an idle applier looks at the outbox for other processes' commits.
    "SEARCH_POLL_SECONDS": 2.0,
}


class Applier:
    """The background catch-up loop of one process (restarted after a fork)."""

    def __init__(self, app: Flask, catch_up, config: dict, host_applied_at=lambda: 0.0):
        self.app = app
        self._catch_up = catch_up
        # When any process of this host last applied (wall clock): the interval is the
        # host's, not each process's, or four workers would commit the index four times as
        # often, each commit re-merging small segments (most of the CPU of a busy minute).
        self._host_applied_at = host_applied_at
        self.delay = float(config["SEARCH_APPLY_DELAY"])
        self.interval = float(config["SEARCH_APPLY_INTERVAL"])
        self.poll = float(config["SEARCH_POLL_SECONDS"])
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._start_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._last_apply = 0.0
        self._closed = False  # stopped for good (the app is shutting down): never restart
        self.rounds = 0  # completed catch-up rounds (tests and the worker's log use it)

    def wake(self) -> None:
        self.ensure_running()
        self._wake.set()

    def ensure_running(self) -> None:
        # A thread does not survive fork(): a worker forked from a master that had one starts its own.
        if self._closed:
            return
        if self._thread is not None and self._thread.is_alive() and self._pid == os.getpid():
            return
        with self._start_lock:
            if self._thread is not None and self._thread.is_alive() and self._pid == os.getpid():
                return
            self._stop.clear()
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self.run, name="search-applier", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0, final: bool = False) -> None:
        self._closed = self._closed or final
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        self._thread = None

    def run(self) -> None:
        with self.app.app_context():
            while not self._stop.is_set():
                woken = self._wake.wait(self.poll)
                if self._stop.is_set():
                    return
                if woken:
                    since = min(time.monotonic() - self._last_apply, time.time() - self._host_applied_at())
                    self._stop.wait(max(self.delay, self.interval - since))
                if self._stop.is_set():
                    return  # no database work once asked to stop: the engine may be going away
                self._wake.clear()
                self.step()

    def step(self) -> bool:
        """One catch-up; True when nothing was left for this process."""
        from commons.search.service import IndexUnavailable

        done = False
        try:
            done = self._catch_up()
        except IndexUnavailable:
            pass  # rebuilding in the background: the rebuild applies the outbox when it ends
        except Exception:  # the outbox keeps the work; try again at the next wake-up or poll
            log.exception("mise à jour de l'index en arrière-plan échouée")
        self._last_apply = time.monotonic()
        self.rounds += 1
        if not done and not self._stop.is_set():
            # The lock holder re-checks after releasing it, but another host's or a dead
            # process's work must not wait a whole poll period: try again soon.
            self._stop.wait(self.interval)
            self._wake.set()
        return done
