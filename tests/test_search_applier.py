"""Index work off the request path: the applier thread, the worker process, reading one's own writes."""
from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings

import pytest

from commons import create_app
from commons.entries.services import create_entry
from commons.extensions import db
from commons.kinds import EntryKind
from commons.search.applier import ApplierMode
from commons.search.hooks import SEEN_KEY
from commons.search.service import service

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
pytestmark = pytest.mark.usefixtures("search")


def in_index(key: str) -> bool:
    # The applier thread may commit while this opens the index: Whoosh then retries the open
    # and drops the segment files of the failed try to the garbage collector, unclosed.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        with service().folder().ix.searcher() as s:
            found = s.document(key=key) is not None
        gc.collect()
    return found


def wait_until(predicate, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def generation() -> int:
    return service().folder().ix.latest_generation()


def titles(client, q: str) -> list[str]:
    response = client.get("/api/v1/search", query_string={"q": q})
    assert response.status_code == 200
    return [r["title"] for r in response.get_json()["results"]]


def new_entry_form(workshop, title: str) -> dict:
    return {"kind": "valeur", "title": title, "body": "Une fiche.", "tags": "", "workshop": f"w{workshop.id}",
            "summary": ""}


@pytest.fixture
def app_config(app_config):
    return {**app_config, "SEARCH_APPLIER": "thread", "SEARCH_APPLY_INTERVAL": 0.3, "SEARCH_APPLY_DELAY": 0.3,
            "SEARCH_POLL_SECONDS": 0.2}


@pytest.fixture
def edition(make_edition):
    edition = make_edition(2023)
    service().catch_up()  # the index exists before the tests' commits
    return edition


def test_a_commit_is_applied_by_the_thread_not_by_the_request(app, edition):
    entry = create_entry(edition=edition, kind=EntryKind.VALEUR, title="Confiance mutuelle")
    db.session.commit()  # wakes the thread and returns: the request does not wait for Whoosh
    assert not in_index(f"entry:{entry.id}")  # the thread waits SEARCH_APPLY_DELAY for more commits
    assert wait_until(lambda: in_index(f"entry:{entry.id}"))


def test_many_commits_share_few_index_commits(app, edition):
    before = generation()
    ids = []
    for n in range(30):
        ids.append(create_entry(edition=edition, kind=EntryKind.SAVOIR, title=f"Savoir partagé {n}").id)
        db.session.commit()
    assert wait_until(lambda: all(in_index(f"entry:{i}") for i in ids))
    # One index commit per interval, not one per save (30 saves took well under 30 intervals).
    assert generation() - before < 15


def without_thread() -> None:
    """As under SEARCH_APPLIER=worker with no worker running: nothing applies in the background."""
    service().applier.stop()
    service().mode = ApplierMode.WORKER


def test_a_writer_finds_their_own_entry_at_once(app, contributor_client, workshop, client):
    service().catch_up()
    without_thread()
    response = contributor_client.post("/fiches/nouvelle", data=new_entry_form(workshop, "Hospitalité numérique"))
    assert response.status_code == 302
    with contributor_client.session_transaction() as session:
        assert session[SEEN_KEY] > 0
    assert titles(client, "hospitalité") == []  # another reader does no index work for the writer
    assert titles(contributor_client, "hospitalité") == ["Hospitalité numérique"]


WORKER = textwrap.dedent("""
    import sys
    sys.path.insert(0, {root!r})
    from commons import create_app
    app = create_app({config!r})
    from flask.cli import ScriptInfo
    from commons.search.cli import search_group
    search_group.main(["worker"], obj=ScriptInfo(create_app=lambda: app), standalone_mode=False)
""")


@pytest.mark.slow
def test_flask_search_worker_applies_commits_and_stops_on_sigterm(app, edition):
    config = {k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "COMMONS_INDEX_DIR", "SECRET_KEY")}
    config.update(TESTING=True, SEARCH_APPLIER="worker", SEARCH_POLL_SECONDS=0.2)
    without_thread()
    script = WORKER.format(root=ROOT, config=config)
    with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True) as proc:
        try:
            assert "continu" in proc.stdout.readline()
            entry = create_entry(edition=edition, kind=EntryKind.ACTION, title="Créer un annuaire des lieux")
            db.session.commit()
            assert wait_until(lambda: in_index(f"entry:{entry.id}"), seconds=20)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=10) == 0
        finally:
            if proc.poll() is None:
                proc.kill()


def test_an_unknown_applier_mode_stops_the_start(app_config):
    with pytest.raises(RuntimeError, match="SEARCH_APPLIER"):
        create_app({**app_config, "SEARCH_APPLIER": "sometimes"})


def test_the_interval_between_index_commits_is_the_hosts(app):
    """Another worker of the host applied a moment ago: this one waits out the interval
    before committing the index again, though it never applied itself."""
    from commons.search.applier import Applier

    steps: list[float] = []
    config = {"SEARCH_APPLY_DELAY": 0.01, "SEARCH_APPLY_INTERVAL": 0.6, "SEARCH_POLL_SECONDS": 30}

    def applier(host_applied_at: float) -> float:
        steps.clear()
        worker = Applier(app, lambda: steps.append(time.monotonic()) or True, config, lambda: host_applied_at)
        woken = time.monotonic()
        worker.wake()
        assert wait_until(lambda: steps, seconds=5)
        worker.stop(final=True)
        return steps[0] - woken

    assert applier(host_applied_at=0.0) < 0.4  # nobody applied lately: only the short delay
    assert applier(host_applied_at=time.time()) >= 0.5  # another process just did


def test_searches_and_the_applier_can_read_the_index_at_the_same_time(app, demo):
    """A gthread worker answers searches in several threads while its applier reads the new
    segments' facets: they share the searcher's open files, read by seek + read. Thread
    switches forced as often as possible make any interleaving show as a damaged block."""
    import sys
    import threading

    from commons.search.engine import search

    svc = service()
    svc.rebuild(wait=30)
    words = ["médiation", "accueil", "écoute", "numérique", "parentalité", "école", "communs", "inclusion"]
    errors: list[BaseException] = []

    def searching(offset: int) -> None:
        with app.app_context():
            try:
                for i in range(30):
                    search(svc, words[(i + offset) % len(words)], {})
                    if i % 10 == 0:  # new facet arrays to read, as after an index commit
                        svc.facet_cache.clear()
                        svc._warm_facets()
            except BaseException as exc:  # noqa: BLE001 (reported below)
                errors.append(exc)

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=searching, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        sys.setswitchinterval(switch)
    assert not errors, errors[:3]
