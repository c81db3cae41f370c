"""Fixtures: app → client → runner, signed-in clients per role, factories, live server.

The database is built once per test session with the Alembic migrations (so every test
also exercises them) and emptied after each test. SQLite by default; PostgreSQL when
COMMONS_TEST_DATABASE_URL is set (a throw-away database is created on that server, so
several runs, and the pytest-xdist workers of one run, never share one).

Two shortcuts keep the suite fast, each with a way back:
- the index is not brought up to date after every commit (`SEARCH_APPLY_AFTER_COMMIT`);
  a search catches up before answering, so only a test that looks at the index without
  searching asks for the `search` fixture, which turns the catch-up on;
- passwords are hashed with one PBKDF2 round instead of scrypt (`cheap_password_hashing`);
  tests/test_accounts_passwords.py puts scrypt back where the cost is what is tested.
"""
from __future__ import annotations

import gc
import os
import shutil
import socket
import threading
import uuid
from collections.abc import Iterator
from datetime import date, datetime

import pytest
import sqlalchemy as sa
from flask import Flask, g
from werkzeug.serving import make_server

from commons import create_app
from commons.accounts.models import Role, User
from commons.editions.models import Edition, Workshop, WorkshopFormat
from commons.extensions import db
from commons.kinds import EntryKind

PG_ENV = "COMMONS_TEST_DATABASE_URL"
# Meets the password rules (commons/accounts/passwords.py): 12+ characters, not a common one.
PASSWORD = "cailloux-lavande-ondres"


def _is_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


MISSING = "SERVICE MISSING — "


def loud_skip(reason: str) -> None:
    """Skip locally with a visible warning; in CI a missing service is a failure."""
    if _is_ci():
        pytest.fail(f"CI must not skip: {reason}")
    pytest.skip(MISSING + reason)


def pytest_terminal_summary(terminalreporter):
    # Read from the reports, not from a global: under pytest-xdist the skips happen in workers.
    reasons = sorted({str(report.longrepr[2]).split(MISSING, 1)[1]
                      for report in terminalreporter.stats.get("skipped", [])
                      if isinstance(report.longrepr, tuple) and MISSING in str(report.longrepr[2])})
    if reasons:
        terminalreporter.section("TESTS SKIPPED FOR A MISSING SERVICE", sep="!", red=True, bold=True)
        for reason in reasons:
            terminalreporter.write_line(f"!!! {reason}", red=True, bold=True)


def pytest_report_header(config):
    return f"commons test database: {'PostgreSQL (' + PG_ENV + ')' if os.environ.get(PG_ENV) else 'SQLite'}"


def _admin_url(url: str) -> sa.URL:
    from commons.config import normalise_database_url

    return sa.make_url(normalise_database_url(url))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    pg_url = os.environ.get(PG_ENV)
    if not pg_url:
        yield "sqlite:///" + str(tmp_path_factory.mktemp("db") / "commons-test.db")
        return
    admin = _admin_url(pg_url)
    name = f"commons_test_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@pytest.fixture(scope="session")
def migrated_database(database_url, tmp_path_factory) -> str:
    from flask_migrate import upgrade

    app = create_app(_config(database_url, tmp_path_factory.mktemp("migrate")))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return database_url


def _config(database_url: str, tmp_path) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "COMMONS_INDEX_DIR": str(tmp_path / "index"),
        "PAGE_CACHE_DIR": str(tmp_path / "pages"),
        "UPLOADS_DIR": str(tmp_path / "uploads"),
        "WTF_CSRF_ENABLED": False,
        "BABEL_DEFAULT_LOCALE": "fr",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Paris",
        "ENTRIES_PER_PAGE": 50,
        "SEARCH_APPLY_AFTER_COMMIT": False,
        # The committing request applies its own changes: a test sees the index right after
        # a commit without waiting for a thread (test_search_applier.py covers the thread).
        "SEARCH_APPLIER": "inline",
    }


def empty_database() -> None:
    """DELETE every row and restart the id sequences: on PostgreSQL a TRUNCATE of every table
    costs ~130 ms (new files for each), five times the DELETEs of a test's few rows."""
    tables = list(reversed(db.metadata.sorted_tables))
    with db.engine.begin() as conn:
        for table in tables:
            conn.execute(table.delete())
        if conn.dialect.name == "postgresql":
            sequences = conn.execute(sa.text("SELECT relname FROM pg_class WHERE relkind = 'S'")).scalars().all()
            conn.execute(sa.text("; ".join(f'ALTER SEQUENCE "{name}" RESTART' for name in sequences)))


@pytest.fixture
def app_config(migrated_database, tmp_path) -> dict:
    """Override in a test module to change the configuration before the app is built."""
    return _config(migrated_database, tmp_path)


def close_throttle_store(app: Flask) -> None:
    """A Redis store's connections, closed with its app rather than by the garbage collector."""
    store = app.extensions.pop("commons.throttle", None)
    if hasattr(store, "close"):
        store.close()


@pytest.fixture
def app(app_config) -> Iterator[Flask]:
    app = create_app(app_config)

    @app.before_request
    def forget_previous_user():
        # A test holds one app context for its whole body, so `g` outlives each request;
        # a real server gives every request its own. Forget the last request's user, or a
        # second signed-in client in the same test would act as the first one.
        g.pop("_login_user", None)
        g.pop("csrf_token", None)  # Flask-WTF keeps the request's token in `g` as well

    with app.app_context():
        yield app
        svc = app.extensions.get("commons.search")
        if svc is not None:
            svc.close()
        close_throttle_store(app)
        db.session.remove()
        empty_database()
        db.engine.dispose()
    shutil.rmtree(app_config["COMMONS_INDEX_DIR"], ignore_errors=True)


@pytest.fixture
def make_app(app_config) -> Iterator:
    """make_app(**overrides) builds another app on the test database (another host, another
    configuration); each one's searchers and pooled connections are closed at the end of the
    test rather than left to the garbage collector, which would find PostgreSQL connections
    still open during some later test."""
    made: list[Flask] = []

    def make(**overrides) -> Flask:
        made.append(create_app({**app_config, **overrides}))
        return made[-1]

    yield make
    for other in made:
        with other.app_context():
            svc = other.extensions.get("commons.search")
            if svc is not None:
                svc.close()
            close_throttle_store(other)
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def search(app) -> Flask:
    """Index every commit, as production does (off by default in tests)."""
    app.config["SEARCH_APPLY_AFTER_COMMIT"] = True
    return app


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashing():
    """scrypt costs ~50 ms a user by design; the tests make hundreds of users."""
    from commons.accounts import passwords

    real = passwords.HASH_METHOD
    passwords.HASH_METHOD = "pbkdf2:sha256:1"
    yield
    passwords.HASH_METHOD = real


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# --- users and signed-in clients ------------------------------------------------------------

@pytest.fixture
def make_user(app):
    from commons.accounts.services import create_user

    def make(role: Role = Role.CONTRIBUTOR, email: str | None = None, password: str = PASSWORD,
             display_name: str = "") -> User:
        user = create_user(email or f"{role.value}-{uuid.uuid4().hex[:6]}@example.org", password, role, display_name)
        db.session.commit()
        return user

    return make


def session_id_for(user: User, *, remember: bool = False, user_agent: str = "") -> str:
    """What Flask-Login keeps in a signed-in cookie: the account and a new session record of it
    (committed, so that a live server's own connections see it)."""
    from commons.accounts.sessions import open_session
    from commons.models import utcnow

    open_session(user, user_agent=user_agent, is_remembered=remember, now=utcnow())
    db.session.commit()
    return user.get_id()


def _signed_in(app, user: User):
    client = app.test_client()
    session_id = session_id_for(user)
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True
    client.user = user
    return client


@pytest.fixture
def contributor(make_user) -> User:
    return make_user(Role.CONTRIBUTOR)


@pytest.fixture
def facilitator(make_user) -> User:
    return make_user(Role.FACILITATOR)


@pytest.fixture
def admin(make_user) -> User:
    return make_user(Role.ADMIN)


@pytest.fixture
def contributor_client(app, contributor):
    return _signed_in(app, contributor)


@pytest.fixture
def facilitator_client(app, facilitator):
    return _signed_in(app, facilitator)


@pytest.fixture
def admin_client(app, admin):
    return _signed_in(app, admin)


@pytest.fixture
def signed_in(app):
    """signed_in(user) → a test client with that user's session."""
    return lambda user: _signed_in(app, user)


@pytest.fixture
def fake_clock(monkeypatch):
    """fake_clock.moment is what the account views believe the time is; .advance(hours=…) moves it."""
    from datetime import timedelta

    from commons.accounts import clock
    from commons.models import utcnow

    class Clock:
        moment = utcnow()

        def advance(self, **delta) -> None:
            self.moment += timedelta(**delta)

    fake = Clock()
    monkeypatch.setattr(clock, "now", lambda: fake.moment)
    return fake


def relay_token(purpose, *, email: str | None = None, user: User | None = None) -> str:
    """The raw token of the newest unused link of `purpose` kept for admins (no mail server)."""
    from commons.accounts.models import AccountToken

    query = sa.select(AccountToken).where(AccountToken.purpose == purpose, AccountToken.relay_token.is_not(None))
    if email is not None:
        query = query.where(AccountToken.email == email)
    if user is not None:
        query = query.where(AccountToken.user_id == user.id)
    db.session.expire_all()
    row = db.session.scalar(query.order_by(AccountToken.id.desc()))
    assert row is not None, f"no {purpose} link kept for relay"
    return row.relay_token


# --- factories ---------------------------------------------------------------------------------

@pytest.fixture
def make_edition(app):
    def make(year: int = 2023, **fields) -> Edition:
        fields.setdefault("slug", f"nec-sud-ouest-{year}")
        fields.setdefault("name", f"NEC Sud-Ouest {year}")
        fields.setdefault("place", "Ondres")
        fields.setdefault("starts_on", date(year, 6, 6))
        fields.setdefault("ends_on", date(year, 6, 7))
        edition = Edition(year=year, **fields)
        db.session.add(edition)
        db.session.commit()
        return edition

    return make


@pytest.fixture
def make_workshop(app):
    def make(edition: Edition, title: str = "Les communs de la médiation numérique", **fields) -> Workshop:
        from commons.text import slugify

        fields.setdefault("slug", slugify(title))
        fields.setdefault("format", WorkshopFormat.ATELIER)
        fields.setdefault("starts_at", datetime(edition.year, 6, 7, 10, 15))
        fields.setdefault("ends_at", datetime(edition.year, 6, 7, 11, 45))
        fields.setdefault("room", "Espace 1")
        workshop = Workshop(edition=edition, title=title, **fields)
        db.session.add(workshop)
        db.session.commit()
        return workshop

    return make


@pytest.fixture
def make_entry(app):
    from commons.entries.services import create_entry

    def make(edition: Edition, title: str = "Accueil inconditionnel", kind: EntryKind = EntryKind.VALEUR,
             **fields):
        entry = create_entry(edition=edition, kind=kind, title=title, **fields)
        db.session.commit()
        return entry

    return make


@pytest.fixture
def workshop(make_edition, make_workshop) -> Workshop:
    return make_workshop(make_edition(2023))


@pytest.fixture
def entry(workshop, make_entry):
    return make_entry(workshop.edition, workshop=workshop, body="Accueillir **toute** personne.",
                      tags=["Posture"])


_SNAPSHOTS: dict[str, list[tuple[sa.Table, list[dict]]]] = {}


def _copy_rows(conn: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    # A column pointing into its own table (an entry's parent) is filled in a second pass:
    # a row may point to one inserted after it.
    own = [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]
    conn.execute(table.insert(), [{**row, **dict.fromkeys(own)} for row in rows] if own else rows)
    stamped = [c.name for c in table.columns if c.onupdate is not None]  # keep them, not "now"
    for name in own:
        pointing = [{"pk": row["id"], "value": row[name], **{f"old_{c}": row[c] for c in stamped}}
                    for row in rows if row[name] is not None]
        if pointing:
            values = {name: sa.bindparam("value"), **{c: sa.bindparam(f"old_{c}") for c in stamped}}
            conn.execute(table.update().where(table.c.id == sa.bindparam("pk")).values(values), pointing)


def load_once_then_copy(name: str, load) -> None:
    """Run `load` (it flushes, we commit) the first time a worker needs `name`; afterwards copy
    the rows it wrote, as a database template would: the demo takes ~0.45 s to load through
    its services on PostgreSQL, ~0.05 s to copy. Only a load into an empty database is
    kept, so that rows another fixture made first never leak into other tests. The data
    generation is not data: a copy bumps it, as any write must (commons/pagecache.py)."""
    from commons.pagecache import DataGeneration, bump

    tables = [t for t in db.metadata.sorted_tables if t is not DataGeneration.__table__]
    if name in _SNAPSHOTS:
        with db.engine.begin() as conn:
            for table, rows in _SNAPSHOTS[name]:
                if rows:
                    _copy_rows(conn, table, rows)
            bump(conn)
            if conn.dialect.name == "postgresql":
                for table, rows in _SNAPSHOTS[name]:
                    if rows and "id" in table.c:
                        conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                             f"(SELECT max(id) FROM \"{table.name}\"))"))
        return
    with db.engine.connect() as conn:
        was_empty = not any(conn.execute(sa.select(sa.literal(1)).select_from(t).limit(1)).first() for t in tables)
    load()
    db.session.commit()
    if was_empty:
        with db.engine.connect() as conn:
            _SNAPSHOTS[name] = [(t, [dict(row._mapping) for row in conn.execute(t.select())]) for t in tables]


@pytest.fixture
def demo(app):
    """The NEC Sud-Ouest demo data, loaded as `flask demo load` does (then copied, see above)."""
    from commons.demo.loader import load_demo

    load_once_then_copy("demo", load_demo)


E24 = "nec-sud-ouest-2024"
W24 = "les-communs-de-la-mediation-numerique"


@pytest.fixture
def route_urls(demo, contributor) -> dict[str, str]:
    """A real address for every route, on the demo data (the permission matrix, the rendering checks)."""
    from commons.entries.models import Entry
    from commons.lineage.models import LineageLink
    from commons.lineage.services import propose_carry

    entry = db.session.scalar(sa.select(Entry).join(LineageLink, LineageLink.target_entry_id == Entry.id)
                              .where(Entry.kind == EntryKind.ACTION).order_by(Entry.id))
    link = db.session.scalar(sa.select(LineageLink).where(LineageLink.target_entry_id == entry.id))
    origin = db.session.get(Entry, link.source_entry_id)
    proposal = propose_carry([db.session.scalar(sa.select(Entry).where(Entry.edition_id == origin.edition_id,
                                                                       Entry.kind == EntryKind.SAVOIR))],
                             target=entry.workshop, author=contributor)[0]
    from commons.search.synonyms import add_set

    synonyms = add_set("fab lab\nfablab").id
    from commons.syntheses.services import publish

    publish(entry.workshop, author=None)  # version 1, for the version and diff pages
    document = _workshop_document(entry.workshop, contributor)
    db.session.commit()
    session_id_for(contributor)
    contributor_session = contributor.session_record_id
    links = account_links(contributor)
    feedback = feedback_link(E24)
    workshop = f"/editions/{E24}/ateliers/{entry.workshop.slug}"
    return {
        "editions.home": "/", "editions.editions": "/editions", "editions.edition": f"/editions/{E24}",
        "editions.workshop": workshop, "entries.kinds": "/natures", "entries.by_kind": "/natures/action",
        "entries.tags": "/etiquettes", "entries.by_tag": "/etiquettes/ecole", "entries.recent_changes": "/modifications",
        "entries.show": f"/fiches/{entry.id}", "entries.history": f"/fiches/{entry.id}/historique",
        "entries.revision": f"/fiches/{entry.id}/versions/1", "entries.diff": f"/fiches/{entry.id}/diff",
        "lineage.entry_page": f"/fiches/{entry.id}/filiation", "lineage.decisions_page": f"{workshop}/decisions",
        "lineage.compare_index": "/editions/comparer", "lineage.compare": f"/editions/nec-sud-ouest-2023/comparer/{E24}",
        "lineage.followup": "/actions/suivi", "search.results": "/recherche?q=ecole", "api.editions": "/api/v1/editions",
        "api.compare_editions": f"/api/v1/editions/nec-sud-ouest-2023/compare/{E24}",
        "api.entry_lineage_json": f"/api/v1/entries/{entry.id}/lineage", "api.search": "/api/v1/search?q=ecole",
        "accounts.login": "/connexion", "static": "/static/css/commons.css",
        "entries.create": "/fiches/nouvelle", "entries.edit": f"/fiches/{entry.id}/modifier",
        "entries.revert": f"/fiches/{entry.id}/retablir/1", "lineage.carry": f"{workshop}/reprise",
        "lineage.decide": f"{workshop}/decisions/{link.id}/reconduire", "lineage.merge": f"{workshop}/decisions/fusion",
        "lineage.declare_new": f"{workshop}/decisions/nouvelle/{entry.id}",
        "lineage.answer_proposal": f"{workshop}/propositions/{proposal.id}/refuser",
        "lineage.add_origin": f"/fiches/{entry.id}/filiation", "lineage.update_followup": f"/actions/suivi/{entry.id}",
        "syntheses.latest": f"{workshop}/synthese", "syntheses.version": f"{workshop}/synthese/v/1",
        "syntheses.diff": f"{workshop}/synthese/diff?de=1&a=1", "syntheses.draft": f"{workshop}/synthese/brouillon",
        "syntheses.publish_view": f"{workshop}/synthese/publier",
        "editions.new_edition": "/editions/nouvelle", "editions.edit_edition": f"/editions/{E24}/modifier",
        "editions.programme": f"/editions/{E24}/programme", "editions.copy_programme_view": f"/editions/{E24}/programme/copier",
        "editions.new_workshop": f"/editions/{E24}/programme/nouvelle-seance",
        "editions.edit_workshop": f"/editions/{E24}/programme/{W24}/modifier",
        "editions.assign_facilitator_view": f"/editions/{E24}/programme/{W24}/animation",
        "editions.remove_facilitator_view": f"/editions/{E24}/programme/{W24}/animation/{contributor.id}/retirer",
        "editions.delete_edition_view": f"/editions/{E24}/supprimer",
        "editions.delete_workshop_view": f"/editions/{E24}/programme/{W24}/supprimer",
        "search.synonym_list": "/admin/synonymes", "search.new_synonym": "/admin/synonymes/nouveau",
        "search.edit_synonym": f"/admin/synonymes/{synonyms}/modifier",
        "search.delete_synonym": f"/admin/synonymes/{synonyms}/supprimer",
        "search.restore_synonyms": "/admin/synonymes/defaut",
        "accounts.sessions_page": "/compte/sessions",
        "accounts.revoke_session": f"/compte/sessions/{contributor_session}/fermer",
        "accounts.revoke_all": "/compte/sessions/fermer-toutes",
        "accounts.logout": "/deconnexion",
        "accounts.join": "/inscription", "accounts.forgot_password": "/mot-de-passe/oubli",
        "accounts.choose_password": f"/mot-de-passe/nouveau/{links['reset']}",
        "accounts.accept_invitation": f"/invitation/{links['invitation']}",
        "accounts.profile_page": "/compte", "accounts.change_password": "/compte/mot-de-passe",
        "accounts.change_email": "/compte/adresse", "accounts.confirm_email": f"/compte/adresse/{links['confirm']}",
        "accounts.join_requests": "/admin/demandes",
        "accounts.approve_request": f"/admin/demandes/{links['request']}/approuver",
        "accounts.refuse_request": f"/admin/demandes/{links['request']}/refuser",
        "accounts.invitations_page": "/admin/invitations", "accounts.relay_links": "/admin/liens",
        "accounts.admin_accounts": "/admin/comptes", "accounts.admin_account": f"/admin/comptes/{contributor.id}",
        "accounts.change_role": f"/admin/comptes/{contributor.id}/role",
        "accounts.deactivate_account": f"/admin/comptes/{contributor.id}/desactiver",
        "accounts.reactivate_account": f"/admin/comptes/{contributor.id}/reactiver",
        "accounts.audit_journal": "/admin/journal",
        "accounts.my_data": "/compte/donnees", "accounts.delete_account": "/compte/supprimer",
        "accounts.privacy": "/confidentialite",
        "entries.person": f"/personnes/{contributor.id}", "accounts.change_identity": "/compte/nom",
        "feedback.answer": f"/retours/{feedback}", "feedback.results_page": f"/editions/{E24}/retours",
        "feedback.manage": f"/editions/{E24}/retours/gerer", "feedback.open_view": f"/editions/{E24}/retours/ouvrir",
        "feedback.close_view": f"/editions/{E24}/retours/fermer",
        "resources.download": f"/ressources/{document}/telecharger", "resources.manage": f"{workshop}/ressources",
        "resources.add_link": f"{workshop}/ressources/lien", "resources.upload": f"{workshop}/ressources/fichier",
        "resources.move": f"{workshop}/ressources/{document}/deplacer",
        "resources.delete": f"{workshop}/ressources/{document}/supprimer",
    }


def feedback_link(edition_slug: str) -> str:
    """An open participants' questionnaire for the edition; its link's token."""
    from commons.feedback.models import Questionnaire

    edition = db.session.scalar(sa.select(Edition).where(Edition.slug == edition_slug))
    questionnaire = Questionnaire(edition_id=edition.id, token=f"jeton-{uuid.uuid4().hex}")
    db.session.add(questionnaire)
    db.session.commit()
    return questionnaire.token


@pytest.fixture
def feedback_pages(demo) -> dict[str, str]:
    """The feedback pages on the demo data: an open questionnaire (2024) to answer, and a closed
    one (2023) whose results, with a published and an unpublished comment, are public."""
    from commons.feedback.models import FeedbackAnswer, Questionnaire, QuestionnaireStatus

    token = feedback_link(E24)
    closed = db.session.scalar(sa.select(Questionnaire).where(Questionnaire.token == feedback_link("nec-sud-ouest-2023")))
    closed.status = QuestionnaireStatus.CLOSED
    closed.closed_at = datetime(2023, 6, 15)
    for n, (overall, comment, is_publishable) in enumerate([("tres_satisfait", "Accueil au top.", True),
                                                           ("satisfait", "Plus de temps entre les ateliers.", False),
                                                           ("tres_satisfait", "", False)]):
        db.session.add(FeedbackAnswer(questionnaire_id=closed.id, overall=overall, organisation="satisfait",
                                      content="tres_satisfait", come_again="oui", comment=comment,
                                      is_publishable=is_publishable, browser_hash=f"navigateur-{n}"))
    db.session.commit()
    return {"answer": f"/retours/{token}", "results": "/editions/nec-sud-ouest-2023/retours",
            "manage": f"/editions/{E24}/retours/gerer"}



def _workshop_document(workshop: Workshop, author: User) -> int:
    """A small PDF shared by `workshop` (its file under the test's UPLOADS_DIR); its id."""
    import io

    from commons.resources.services import add_file

    resource = add_file(workshop, title="Support de présentation", file_name="support.pdf",
                        stream=io.BytesIO(b"%PDF-1.4\n%%EOF\n"), author=author)
    db.session.commit()
    return resource.id


def account_links(user: User) -> dict:
    """A pending sign-up request (for a demo structure) and one link of each kind, for `user`;
    kept for an admin to relay, so that /admin/liens lists them."""
    from commons.accounts import tokens
    from commons.accounts.models import JoinRequest, TokenPurpose
    from commons.editions.models import Structure
    from commons.models import utcnow

    now = utcnow()
    structure = db.session.scalar(sa.select(Structure).order_by(Structure.name))
    request = JoinRequest(email="demande@example.org", display_name="Camille Demande", department="40",
                          structure_id=structure.id if structure else None, role_asked=Role.FACILITATOR,
                          reason="Animer l'atelier des communs.\nEt le suivant.", created_at=now)
    db.session.add(request)
    links = {
        "reset": tokens.issue(TokenPurpose.RESET_PASSWORD, now=now, user=user, keep_for_relay=True),
        "invitation": tokens.issue(TokenPurpose.INVITATION, now=now, email="invitee@example.org",
                                   role=Role.CONTRIBUTOR, keep_for_relay=True),
        "confirm": tokens.issue(TokenPurpose.CONFIRM_EMAIL, now=now, user=user, email="nouvelle@example.org",
                                keep_for_relay=True),
    }
    db.session.commit()
    return {**links, "request": request.id}


# --- browser -----------------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_server(app):
    """Serve the test app on a loopback port in a thread; yields its base URL."""
    port = _free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    # Request threads that the server waits for on close: a request still tearing down its
    # app context (returning its connection) must end before the app fixture disposes of
    # the engine, or its connection is collected while open (a ResourceWarning on PostgreSQL).
    server.daemon_threads = False
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        # A request that ended in an exception (a 409 handled by an error page) leaves its
        # traceback in a reference cycle with the frames that held a pooled connection:
        # collect it while the pool is alive, so the connection goes back to it and is not
        # collected later, still open, after the engine is disposed.
        gc.collect()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        loud_skip(f"Chromium absent ({CHROMIUM}) : `apt-get install -y chromium` pour les tests navigateur")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "fr-FR", "service_workers": "block"}


@pytest.fixture
def browser_login(live_server, make_user):
    """browser_login(page, role) signs a fresh user in through the real form."""

    def login(page, role: Role = Role.CONTRIBUTOR) -> User:
        user = make_user(role)
        page.goto(f"{live_server}/connexion")
        page.get_by_label("Adresse électronique").fill(user.email)
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(lambda url: "/connexion" not in url)
        return user

    return login
