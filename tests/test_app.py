"""The application factory, configuration, schema and shared page behaviour."""
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from commons import create_app
from commons.config import load_secret_key, normalise_database_url
from commons.extensions import db


def test_testing_config(app):
    assert app.testing
    assert create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"}).testing is False


@pytest.mark.parametrize("url, expected", [
    ("postgres://u@h/d", "postgresql+psycopg://u@h/d"),
    ("postgresql://u@h:5432/d", "postgresql+psycopg://u@h:5432/d"),
    ("sqlite:///x.db", "sqlite:///x.db"),
])
def test_database_url_uses_psycopg3(url, expected):
    assert normalise_database_url(url) == expected


def test_environment_configuration(tmp_path, monkeypatch):
    monkeypatch.setenv("COMMONS_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("COMMONS_INDEX_DIR", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/commons.db"
    assert app.config["COMMONS_INDEX_DIR"] == str(tmp_path / "index")
    # A generated key is written once and shared by every worker of the instance.
    assert app.config["SECRET_KEY"] == (tmp_path / "secret_key").read_text()
    assert create_app().config["SECRET_KEY"] == app.config["SECRET_KEY"]

    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1/x")
    monkeypatch.setenv("COMMONS_INDEX_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("SECRET_KEY", "from-env")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://postgres@127.0.0.1/x"
    assert app.config["COMMONS_INDEX_DIR"] == str(tmp_path / "elsewhere")
    assert app.config["SECRET_KEY"] == "from-env"


def test_secret_key_is_shared_between_processes(tmp_path):
    code = "import sys; from commons.config import load_secret_key; print(load_secret_key(sys.argv[1]))"
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True)
             for _ in range(4)]
    keys = {p.communicate()[0].strip() for p in procs}
    assert len(keys) == 1 and len(keys.pop()) == 64
    assert oct(os.stat(tmp_path / "secret_key").st_mode & 0o777) == "0o600"
    assert load_secret_key(str(tmp_path)) == (tmp_path / "secret_key").read_text()


# SQLite cannot reflect the expression index on lower(email) (0009): SQLAlchemy and Alembic say
# so and skip it; PostgreSQL compares it.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index")
def test_migrations_match_models(app):
    """Autogenerate finds nothing: the migrations build exactly the models' schema."""
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_the_rendering_migration_fills_existing_bodies(tmp_path):
    """Migration 0005 adds the stored HTML and excerpt, and renders the entries already there."""
    from flask_migrate import upgrade

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "COMMONS_INDEX_DIR": str(tmp_path / "index"),
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.db'}"})
    with app.app_context():
        upgrade(revision="0004")
        with db.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO editions (id, slug, name, year, place, venue, description, "
                                 "is_illustrative, created_at, updated_at) VALUES (1, 'e', 'E', 2023, '', '', '', "
                                 "0, '2023-06-01', '2023-06-01')"))
            conn.execute(sa.text("INSERT INTO entries (id, kind, title, body, status, edition_id, position, "
                                 "revision_number, created_at, updated_at) VALUES (1, 'valeur', 'T', "
                                 "'Un **texte** <b>x</b>', 'publiee', 1, 0, 1, '2023-06-01', '2023-06-01')"))
            conn.execute(sa.text("INSERT INTO revisions (id, entry_id, number, created_at, summary, kind, title, "
                                 "body, tags_text) VALUES (1, 1, 1, '2023-06-01', '', 'valeur', 'T', "
                                 "'Un **texte** <b>x</b>', '')"))
        upgrade()
        with db.engine.connect() as conn:
            html, excerpt = conn.execute(sa.text("SELECT body_html, excerpt FROM entries")).one()
            revision_html = conn.execute(sa.text("SELECT body_html FROM revisions")).scalar()
        db.engine.dispose()
    assert html == revision_html == "<p>Un <strong>texte</strong> &lt;b&gt;x&lt;/b&gt;</p>\n"
    assert excerpt == "Un texte <b>x</b>"


def test_sqlite_runs_in_wal_mode(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000


def test_not_found_page_is_french_and_styled(client):
    response = client.get("/nulle-part")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert '<html lang="fr">' in html
    assert "Page introuvable" in html
    assert "/static/css/commons.css" in html


def test_internal_error_page_is_french(app):
    @app.route("/boom")
    def boom():
        raise RuntimeError("boom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert "Erreur interne" in response.get_data(as_text=True)


def test_api_errors_are_json(client):
    response = client.get("/api/v1/nulle-part")
    assert response.status_code == 404
    assert response.get_json() == {"error": {"code": 404, "message": "Page introuvable"}}


def test_security_headers_forbid_other_hosts(client):
    response = client.get("/connexion")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_anonymous_pages_answer_304_when_unchanged(client, signed_in, make_user, entry):
    first = client.get(f"/fiches/{entry.id}")
    etag = first.headers["ETag"]
    assert first.status_code == 200 and "no-cache" in first.headers["Cache-Control"]
    again = client.get(f"/fiches/{entry.id}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    entry.title = "Accueil sans condition"
    db.session.commit()
    changed = client.get(f"/fiches/{entry.id}", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and "Accueil sans condition" in changed.get_data(as_text=True)
    # A signed-in page (a name, forms) is never answered from a shared validator.
    assert "ETag" not in signed_in(make_user()).get(f"/fiches/{entry.id}").headers
