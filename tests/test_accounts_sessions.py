"""Server-side sessions: rotation at sign-in, revocation of copied cookies, the "Mes sessions" page,
the cookie flags and the headers of signed-in pages."""
from __future__ import annotations

from datetime import timedelta
from html import unescape

import pytest
import sqlalchemy as sa

from commons.accounts import clock
from commons.accounts.models import AuditEvent, AuditKind, User, UserSession
from commons.accounts.services import change_password
from commons.extensions import db
from commons.models import utcnow
from tests.conftest import PASSWORD

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
PHONE = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/126.0 Mobile Safari/537.36")


def html(response) -> str:
    return unescape(response.get_data(as_text=True))


def sign_in(app, user: User, *, remember: bool = False, user_agent: str = FIREFOX):
    client = app.test_client()
    response = client.post("/connexion", data={"email": user.email, "password": PASSWORD,
                                               **({"remember": "y"} if remember else {})},
                           headers={"User-Agent": user_agent})
    assert response.status_code == 302, html(response)
    return client


def cookie(client, name: str) -> str | None:
    found = client.get_cookie(name)
    return found.value if found else None


def is_signed_in(client) -> bool:
    return client.get("/compte/sessions").status_code == 200


def records(user: User) -> list[UserSession]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(UserSession).where(UserSession.user_id == user.id)
                                   .order_by(UserSession.id)))


def copy_of(app, client, *names: str):
    """Another browser holding the same cookies (stolen, or copied before sign-out)."""
    other = app.test_client()
    for name in names:
        if value := cookie(client, name):
            other.set_cookie(name, value)
    return other


# --- sign-in makes a record, rotates the session ------------------------------------------------

def test_sign_in_records_a_session_with_only_a_hash_and_a_device_summary(app, contributor):
    client = sign_in(app, contributor)
    [record] = records(contributor)
    with client.session_transaction() as session:
        user_id, token = session["_user_id"].split(":", 1)
    assert int(user_id) == contributor.id
    assert token not in record.token_hash and len(record.token_hash) == 64
    assert record.user_agent == "Firefox · Linux"  # no full User-Agent, no address kept
    assert record.revoked_at is None and not record.is_remembered


def test_sign_in_renews_the_session_and_its_csrf_secret(app, contributor):
    client = app.test_client()
    with client.session_transaction() as session:
        session["csrf_token"] = "planted-by-an-attacker"
        session["other"] = "value"
    sign_in_response = client.post("/connexion", data={"email": contributor.email, "password": PASSWORD})
    assert sign_in_response.status_code == 302
    with client.session_transaction() as session:
        assert "csrf_token" not in session and "other" not in session
        assert session["_user_id"].startswith(f"{contributor.id}:")


def test_a_copied_session_cookie_stops_working_at_sign_out(app, contributor):
    client = sign_in(app, contributor)
    thief = copy_of(app, client, "session")
    assert is_signed_in(thief)
    client.post("/deconnexion")
    assert not is_signed_in(client)
    assert not is_signed_in(thief)
    assert records(contributor)[0].revoked_at is not None


def test_a_copied_remember_me_cookie_stops_working_at_sign_out(app, contributor):
    client = sign_in(app, contributor, remember=True)
    remember = cookie(client, "remember_token")
    assert remember
    thief = app.test_client()
    thief.set_cookie("remember_token", remember)  # no session cookie: only the remember-me one
    assert is_signed_in(thief)
    client.post("/deconnexion")
    assert cookie(client, "remember_token") is None  # deleted from the browser that signed out
    late_thief = app.test_client()
    late_thief.set_cookie("remember_token", remember)
    assert not is_signed_in(late_thief)
    assert not is_signed_in(thief)  # nor does the session it had already opened with it


def test_a_password_change_ends_every_other_session(app, contributor):
    here, elsewhere = sign_in(app, contributor), sign_in(app, contributor, remember=True, user_agent=PHONE)
    stolen = copy_of(app, elsewhere, "remember_token")
    mine = records(contributor)[0]
    ended = change_password(contributor, "un-tout-autre-secret-97", now=utcnow(), keep_session_id=mine.id)
    db.session.commit()
    assert ended == 1
    assert is_signed_in(here)
    assert not is_signed_in(elsewhere) and not is_signed_in(stolen)
    kinds = db.session.scalars(sa.select(AuditEvent.kind).where(AuditEvent.subject_id == contributor.id)).all()
    assert AuditKind.PASSWORD_CHANGED in kinds


def test_a_deactivated_account_is_refused_at_once(app, contributor):
    client = sign_in(app, contributor, remember=True)
    contributor.is_enabled = False
    db.session.commit()
    assert not is_signed_in(client)
    assert not is_signed_in(copy_of(app, client, "remember_token"))


def test_an_old_style_cookie_with_a_bare_user_id_signs_no_one_in(app, contributor):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(contributor.id)  # what the app trusted before session records
    assert not is_signed_in(client)


def test_a_forged_token_signs_no_one_in(app, contributor):
    sign_in(app, contributor)
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = f"{contributor.id}:{'A' * 43}"
    assert not is_signed_in(client)


def test_someone_elses_token_with_my_id_is_refused(app, make_user):
    alice, bob = make_user(email="alice@example.org"), make_user(email="bob@example.org")
    client = sign_in(app, alice)
    with client.session_transaction() as session:
        token = session["_user_id"].split(":", 1)[1]
        session["_user_id"] = f"{bob.id}:{token}"
    assert not is_signed_in(client)


def test_sessions_expire(app, contributor, monkeypatch):
    short, kept = sign_in(app, contributor), sign_in(app, contributor, remember=True)
    later = utcnow() + app.config["SESSION_IDLE"] + timedelta(minutes=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert not is_signed_in(short)  # idle too long without "remember me"
    assert is_signed_in(kept)
    much_later = utcnow() + app.config["REMEMBER_COOKIE_DURATION"] + timedelta(minutes=1)
    monkeypatch.setattr(clock, "now", lambda: much_later)
    assert not is_signed_in(copy_of(app, kept, "remember_token"))


# --- last seen: rarely, and never through the ORM (the page cache) ---------------------------------

def generation() -> int:
    from commons.pagecache import DataGeneration

    with db.engine.connect() as connection:
        return connection.scalar(sa.select(DataGeneration.value).where(DataGeneration.id == 1))


def test_last_seen_is_written_at_most_every_five_minutes_without_bumping_the_page_cache(app, contributor,
                                                                                         monkeypatch):
    client = sign_in(app, contributor)
    start = records(contributor)[0].last_seen_at
    before = generation()
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(minutes=4))
    client.get("/")
    assert records(contributor)[0].last_seen_at == start
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(minutes=6))
    client.get("/")
    client.get("/editions")
    assert records(contributor)[0].last_seen_at == start + timedelta(minutes=6)
    assert generation() == before  # anonymous pages stay cached


# --- the "Mes sessions" page ----------------------------------------------------------------------

def test_my_sessions_lists_devices_and_marks_this_one(app, contributor, make_user):
    here = sign_in(app, contributor)
    sign_in(app, contributor, user_agent=PHONE)
    sign_in(app, make_user(email="quelquun@example.org"))  # someone else's: not listed
    page = html(here.get("/compte/sessions"))
    assert "Mes sessions" in page
    assert "Firefox · Linux" in page and "Chrome · Android" in page
    assert page.count("cet appareil") == 1
    assert page.count('action="/compte/sessions/') == 3  # two to end one, one to end all
    assert "Se déconnecter partout" in page


def test_ending_another_session_signs_that_device_out_only(app, contributor):
    here, phone = sign_in(app, contributor), sign_in(app, contributor, user_agent=PHONE)
    phone_record = records(contributor)[1]
    response = here.post(f"/compte/sessions/{phone_record.id}/fermer")
    assert response.status_code == 302 and response.headers["Location"] == "/compte/sessions"
    assert is_signed_in(here) and not is_signed_in(phone)
    assert "Chrome · Android" not in html(here.get("/compte/sessions"))


def test_nobody_ends_someone_elses_session(app, contributor, make_user):
    victim = sign_in(app, contributor)
    record = records(contributor)[0]
    attacker = sign_in(app, make_user(email="mallory@example.org"))
    assert attacker.post(f"/compte/sessions/{record.id}/fermer").status_code == 404
    assert attacker.post("/compte/sessions/99999999999/fermer").status_code == 404
    assert is_signed_in(victim)


def test_sign_out_everywhere(app, contributor):
    here, phone = sign_in(app, contributor), sign_in(app, contributor, remember=True, user_agent=PHONE)
    stolen = copy_of(app, phone, "remember_token")
    response = here.post("/compte/sessions/fermer-toutes")
    assert response.status_code == 302
    assert not any(is_signed_in(c) for c in (here, phone, stolen))
    assert all(r.revoked_at is not None for r in records(contributor))
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.kind == AuditKind.SESSIONS_REVOKED))
    assert event.subject_id == contributor.id and '"count": 2' in event.detail


def test_ending_sessions_needs_the_csrf_token(app, contributor):
    client = sign_in(app, contributor)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post("/compte/sessions/fermer-toutes").status_code == 400
        assert is_signed_in(client)
        page = html(client.get("/compte/sessions"))
        token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        assert client.post("/compte/sessions/fermer-toutes", data={"csrf_token": token}).status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert not is_signed_in(client)


# --- cookies and headers ----------------------------------------------------------------------------

def test_signed_in_pages_are_not_stored_anonymous_ones_are_revalidated(app, client, contributor):
    signed = sign_in(app, contributor)
    assert signed.get("/").headers["Cache-Control"] == "no-store"
    assert signed.get("/compte/sessions").headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/").headers
    secure = client.get("/", base_url="https://communs.example.org")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"


@pytest.mark.parametrize("env, testing, secure", [
    ("production", False, True), ("development", False, False), ("production", True, False),
])
def test_cookies_are_secure_outside_development(make_app, env, testing, secure):
    app = make_app(COMMONS_ENV=env, TESTING=testing, SESSION_COOKIE_SECURE=None, REMEMBER_COOKIE_SECURE=None)
    assert app.config["SESSION_COOKIE_SECURE"] is secure and app.config["REMEMBER_COOKIE_SECURE"] is secure
    assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["REMEMBER_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax" == app.config["REMEMBER_COOKIE_SAMESITE"]


def test_the_cookie_flags_on_the_wire(make_app, make_user):
    app = make_app(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    with app.app_context():
        user = make_user(email="fil@example.org")
        response = app.test_client().post("/connexion", base_url="https://communs.example.org",
                                          data={"email": user.email, "password": PASSWORD, "remember": "y"})
        db.session.remove()
    cookies = {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}
    for name in ("session", "remember_token"):
        assert "; Secure" in cookies[name] and "; HttpOnly" in cookies[name] and "SameSite=Lax" in cookies[name]
    assert "Expires=" in cookies["remember_token"]


def test_remember_me_lifetime_from_the_environment(monkeypatch, tmp_path):
    from commons import config

    monkeypatch.setenv("COMMONS_REMEMBER_DAYS", "7")
    monkeypatch.setenv("SECRET_KEY", "x")
    assert config.from_environment(str(tmp_path))["REMEMBER_COOKIE_DURATION"] == timedelta(days=7)
    monkeypatch.delenv("COMMONS_REMEMBER_DAYS")
    assert config.from_environment(str(tmp_path))["REMEMBER_COOKIE_DURATION"] == timedelta(days=30)


def test_make_run_serves_plain_http_as_development():
    from pathlib import Path

    makefile = (Path(__file__).resolve().parent.parent / "Makefile").read_text()
    run = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "COMMONS_ENV=development $(FLASK) run" in run
