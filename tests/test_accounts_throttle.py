"""Sign-in throttling, on both stores (the database; Redis when reachable), with a clock the
tests move: locks after repeated failures, grow, end; the same answers for unknown emails."""
from __future__ import annotations

import uuid
from html import unescape

import pytest
import sqlalchemy as sa

from commons.accounts.models import AuditEvent, AuditKind, ThrottleCounter
from commons.extensions import db
from tests.conftest import PASSWORD, loud_skip

REDIS_URL = "redis://127.0.0.1:6379/15"
WRONG = "pas-le-bon-mot-de-passe"


@pytest.fixture(params=["database", "redis"])
def app_config(request, app_config):
    """Each test runs on the database store, then on Redis (keys under a prefix of its own)."""
    if request.param == "database":
        return app_config
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        client.close()
        loud_skip(f"Redis injoignable ({REDIS_URL} : {exc}) : limiteur de connexion sur Redis NON TESTÉ")
    prefix = f"commons-test-{uuid.uuid4().hex}:"
    request.addfinalizer(lambda: (client.delete(*keys) if (keys := list(client.scan_iter(prefix + "*"))) else None,
                                  client.close()))
    return {**app_config, "REDIS_URL": REDIS_URL, "REDIS_KEY_PREFIX": prefix}


@pytest.fixture
def now(fake_clock):
    """now.moment is what the app believes the time is; now.advance(minutes=…) moves it."""
    return fake_clock


def attempt(client, email: str, password: str = WRONG, address: str = "127.0.0.1", **headers):
    response = client.post("/connexion", data={"email": email, "password": password},
                           environ_base={"REMOTE_ADDR": address}, headers=headers)
    return response.status_code, unescape(response.get_data(as_text=True)), response


def test_five_failures_lock_the_account_then_sign_in_works_again(app, client, contributor, now):
    for _ in range(4):
        status, page, _r = attempt(client, contributor.email)
        assert status == 422 and "Adresse ou mot de passe incorrect." in page
    status, page, response = attempt(client, contributor.email)
    assert status == 429
    assert "Trop de tentatives de connexion" in page and "Réessayez à partir de" in page and "(dans 1 min)" in page
    assert response.headers["Retry-After"] == "60"
    assert attempt(client, contributor.email, PASSWORD)[0] == 429  # even the right password waits
    now.advance(seconds=61)
    assert attempt(client, contributor.email, PASSWORD)[0] == 302


def test_each_failure_after_a_lock_doubles_it(app, client, contributor, now):
    for _ in range(5):
        attempt(client, contributor.email)
    durations = []
    for _ in range(3):
        now.advance(seconds=(durations[-1] if durations else 60) + 1)  # just after the lock ends
        status, _page, response = attempt(client, contributor.email)
        assert status == 429
        durations.append(int(response.headers["Retry-After"]))
    assert durations == [120, 240, 480]


def test_the_count_is_forgotten_after_a_quiet_window(app, client, contributor, now):
    for _ in range(4):
        attempt(client, contributor.email)
    now.advance(minutes=16)
    for _ in range(4):
        assert attempt(client, contributor.email)[0] == 422


def test_a_successful_sign_in_clears_the_account_count(app, client, contributor, now):
    for _ in range(4):
        attempt(client, contributor.email)
    assert attempt(client, contributor.email, PASSWORD)[0] == 302
    other = app.test_client()
    for _ in range(4):
        assert attempt(other, contributor.email)[0] == 422


def test_an_unknown_email_gets_exactly_the_same_answers(app, client, make_user, now):
    known = make_user(email="connue@example.org")
    answers = {}
    for email in (known.email, "inconnue@example.org"):
        answers[email] = [(status, page.replace(email, "EMAIL"), response.headers.get("Retry-After"))
                          for status, page, response in (attempt(client, email) for _ in range(6))]
    assert answers[known.email] == answers["inconnue@example.org"]
    assert [a[0] for a in answers[known.email]] == [422] * 4 + [429] * 2


def test_the_address_is_limited_across_accounts(app, client, make_user, now):
    victim = make_user(email="victime@example.org")
    for n in range(19):
        assert attempt(client, f"essai-{n}@example.org", address="203.0.113.7")[0] == 422
    assert attempt(client, "essai-19@example.org", address="203.0.113.7")[0] == 429
    # Even with a right password, from that address; a forged X-Forwarded-For changes nothing.
    assert attempt(client, victim.email, PASSWORD, address="203.0.113.7", X_Forwarded_For="198.51.100.1")[0] == 429
    assert attempt(client, victim.email, PASSWORD, address="198.51.100.2")[0] == 302


def test_limits_come_from_the_configuration(app, client, contributor, now):
    app.config.update(THROTTLE_ACCOUNT_LIMIT=2, THROTTLE_LOCK_SECONDS=300)
    assert attempt(client, contributor.email)[0] == 422
    status, _page, response = attempt(client, contributor.email)
    assert status == 429 and response.headers["Retry-After"] == "300"


def test_failures_and_locks_are_audited_without_address_nor_password(app, client, contributor, now):
    for _ in range(5):
        attempt(client, contributor.email)
    attempt(client, "personne@example.org")
    events = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()
    kinds = [e.kind for e in events]
    assert kinds.count(AuditKind.SIGN_IN_FAILED) == 6 and kinds.count(AuditKind.SIGN_IN_LOCKED) == 1
    assert {e.subject_id for e in events if e.kind is AuditKind.SIGN_IN_FAILED} == {contributor.id, None}
    for event in events:
        text = f"{event.detail} {event.address_hash}"
        assert "127.0.0.1" not in text and WRONG not in text and "personne@" not in text
        assert len(event.address_hash) == 32


def test_the_database_store_keeps_no_email_and_survives_the_refused_request(app, client, contributor, now):
    attempt(client, contributor.email)
    if app.config.get("REDIS_URL"):
        return  # Redis holds the counts; nothing in the table
    counters = db.session.scalars(sa.select(ThrottleCounter)).all()
    assert sorted(c.count for c in counters) == [1, 1]  # the account's and the address's, committed
    assert all(contributor.email not in c.key and "127.0.0.1" not in c.key for c in counters)


def test_prune_forgets_stale_counters(app, client, runner, contributor, now):
    attempt(client, contributor.email)
    now.advance(hours=2)
    result = runner.invoke(args=["users", "prune-audit"])
    assert result.exit_code == 0, result.output
    if not app.config.get("REDIS_URL"):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ThrottleCounter)) == 0


# --- Redis unreachable ----------------------------------------------------------------------------

def test_an_unreachable_redis_falls_back_to_the_database(app, client, contributor, now, caplog):
    """REDIS_URL set, nobody listening: sign-in still answers (not a 500), the counts and the
    lock live in the database meanwhile, and the warning is logged once, not per request."""
    from tests.conftest import _free_port

    app.config["REDIS_URL"] = f"redis://127.0.0.1:{_free_port()}/0"
    app.extensions.pop("commons.throttle", None)  # the store is made again, on the closed port
    with caplog.at_level("WARNING", logger="commons.accounts.throttle"):
        assert attempt(client, contributor.email, PASSWORD)[0] == 302
        statuses = [attempt(app.test_client(), contributor.email)[0] for _ in range(5)]
    assert statuses == [422] * 4 + [429]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ThrottleCounter)) == 2  # account, address
    assert caplog.text.count("Redis injoignable") == 1
