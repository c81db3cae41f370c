"""Sign-in and sign-out pages, and the `users create` command."""
from __future__ import annotations

import sys
from html import unescape

import pytest
import sqlalchemy as sa

from commons.accounts import cli
from commons.accounts.models import Role, User
from commons.extensions import db
from tests.conftest import PASSWORD


def html(response) -> str:
    return unescape(response.get_data(as_text=True))


def signed_in_as(client) -> int | None:
    with client.session_transaction() as session:
        user_id = session.get("_user_id")
    return int(user_id.split(":", 1)[0]) if user_id else None


# --- sign in / sign out -------------------------------------------------------------------------

def test_sign_in_page(client):
    response = client.get("/connexion")
    assert response.status_code == 200
    page = html(response)
    assert '<label for="email">Adresse électronique</label>' in page
    assert '<label for="password">Mot de passe</label>' in page
    assert 'autocomplete="current-password"' in page


def test_sign_in_with_the_right_password(client, contributor):
    response = client.post("/connexion", data={"email": contributor.email.upper(), "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert signed_in_as(client) == contributor.id
    db.session.expire_all()
    assert db.session.get(User, contributor.id).last_login_at is not None


@pytest.mark.parametrize("email, password", [
    ("contributor@example.org", "mauvais-mot-de-passe"), ("inconnu@example.org", PASSWORD), ("", ""),
])
def test_sign_in_refused_in_french(client, make_user, email, password):
    make_user(email="contributor@example.org")
    response = client.post("/connexion", data={"email": email, "password": password})
    assert response.status_code == 422
    page = html(response)
    assert "Adresse ou mot de passe incorrect." in page or "Indiquez votre" in page
    assert signed_in_as(client) is None
    if email:
        assert f'value="{email}"' in page  # the address is kept, the password is not
    assert f'value="{password}"' not in page or not password


def test_disabled_account_cannot_sign_in(client, contributor):
    contributor.is_enabled = False
    db.session.commit()
    response = client.post("/connexion", data={"email": contributor.email, "password": PASSWORD})
    assert response.status_code == 422
    assert signed_in_as(client) is None


@pytest.mark.parametrize("target, expected", [
    ("/fiches/nouvelle", "/fiches/nouvelle"), ("//evil.example/x", "/"), ("https://evil.example/", "/"),
    # Browsers read "/\\host" as "//host": it must leave escaped, never as a bare backslash.
    ("/\\evil.example", "/%5Cevil.example"),
])
def test_sign_in_returns_to_same_site_pages_only(client, contributor, target, expected):
    response = client.post(f"/connexion?next={target}",
                           data={"email": contributor.email, "password": PASSWORD, "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_protected_page_sends_to_sign_in_and_back(client, contributor):
    response = client.get("/fiches/nouvelle")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/connexion") and "next=" in location
    page = html(client.get(location))
    assert 'name="next" type="hidden" value="/fiches/nouvelle"' in page


def test_sign_out(contributor_client, contributor):
    assert signed_in_as(contributor_client) == contributor.id
    assert "Se déconnecter" in html(contributor_client.get("/fiches/nouvelle"))
    response = contributor_client.post("/deconnexion")
    assert response.status_code == 302
    assert signed_in_as(contributor_client) is None
    assert contributor_client.get("/deconnexion").status_code == 405  # never by a simple link


# --- the users CLI ------------------------------------------------------------------------------

def user(email: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(User).where(User.email == email))


def test_cli_reads_the_password_from_the_first_line_of_stdin(runner):
    result = runner.invoke(args=["users", "create", "Anim@Example.org", "--role", "facilitator"],
                           input="un-mot-de-passe-solide\nligne ignorée\n")
    assert result.exit_code == 0, result.output
    assert "Compte créé : anim@example.org (facilitator)" in result.output
    created = user("anim@example.org")
    assert created.role is Role.FACILITATOR
    assert created.check_password("un-mot-de-passe-solide")
    assert not created.check_password("ligne ignorée")


def test_cli_default_role_is_contributor(runner):
    assert runner.invoke(args=["users", "create", "c@example.org"], input="un-mot-de-passe-solide\n").exit_code == 0
    assert user("c@example.org").role is Role.CONTRIBUTOR


class _TtyStdin:
    """Looks like a terminal; reads what the CLI runner feeds."""

    def isatty(self) -> bool:
        return True

    def readline(self) -> str:  # the tty path must prompt, not read a line
        raise AssertionError("readline() on a terminal")


class _TtySys:
    stdin = _TtyStdin()


def test_cli_prompts_twice_on_a_terminal(runner, monkeypatch):
    monkeypatch.setattr(cli, "sys", _TtySys())
    result = runner.invoke(args=["users", "create", "tty@example.org", "--role", "admin"],
                           input="phrase-du-terminal-1\nphrase-du-terminal-1\n")
    assert result.exit_code == 0, result.output
    assert "Mot de passe" in result.output and "Confirmez le mot de passe" in result.output
    assert user("tty@example.org").check_password("phrase-du-terminal-1")


def test_cli_on_a_terminal_refuses_two_different_passwords(runner, monkeypatch):
    monkeypatch.setattr(cli, "sys", _TtySys())
    result = runner.invoke(args=["users", "create", "tty@example.org"], input="mot-de-passe-un\nmot-de-passe-deux\n")
    assert result.exit_code != 0
    assert user("tty@example.org") is None


def test_cli_refuses_a_duplicate_email_in_french(runner, make_user):
    make_user(email="deja@example.org")
    result = runner.invoke(args=["users", "create", "DEJA@example.org"], input="un-mot-de-passe-solide\n")
    assert result.exit_code != 0
    assert "Un compte existe déjà pour deja@example.org." in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_cli_refuses_a_short_password_in_french(runner):
    result = runner.invoke(args=["users", "create", "court@example.org"], input="court\n")
    assert result.exit_code != 0
    assert "Le mot de passe doit compter au moins 12 caractères." in result.output
    assert user("court@example.org") is None


@pytest.mark.parametrize("email", ["pas-une-adresse", "@example.org", "x@"])
def test_cli_refuses_an_invalid_email_in_french(runner, email):
    result = runner.invoke(args=["users", "create", email], input="un-mot-de-passe-solide\n")
    assert result.exit_code != 0
    assert "Adresse électronique invalide." in result.output


def test_cli_refuses_an_unknown_role(runner):
    result = runner.invoke(args=["users", "create", "r@example.org", "--role", "root"],
                           input="un-mot-de-passe-solide\n")
    assert result.exit_code != 0
    assert user("r@example.org") is None


def test_cli_module_uses_the_real_stdin_by_default():
    assert cli.sys is sys


# --- the audit log ------------------------------------------------------------------------------

def test_sign_in_and_sign_out_are_audited(client, contributor):
    from commons.accounts.models import AuditEvent, AuditKind

    client.post("/connexion", data={"email": contributor.email, "password": PASSWORD})
    client.post("/deconnexion")
    events = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [e.kind for e in events] == [AuditKind.SIGNED_IN, AuditKind.SIGNED_OUT]
    assert {e.actor_id for e in events} == {contributor.id} == {e.subject_id for e in events}
    assert all(e.address_hash and "127.0.0.1" not in e.address_hash for e in events)


def test_prune_audit_deletes_events_older_than_the_retention(app, runner):
    from datetime import timedelta

    from commons.accounts import audit
    from commons.accounts.models import AuditEvent, AuditKind
    from commons.models import utcnow

    now = utcnow()
    for days in (400, 366, 364, 1):
        audit.record(AuditKind.SIGN_IN_FAILED, now=now - timedelta(days=days), detail={"age": days})
    db.session.commit()
    result = runner.invoke(args=["users", "prune-audit"])
    assert result.exit_code == 0, result.output
    assert "2 événement(s) de plus de 365 jours supprimé(s)" in result.output
    db.session.expire_all()
    assert sorted(e.detail for e in db.session.scalars(sa.select(AuditEvent))) == ['{"age": 1}', '{"age": 364}']
    app.config["AUDIT_RETENTION_DAYS"] = 30
    assert runner.invoke(args=["users", "prune-audit"]).exit_code == 0
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 1


# --- how a person is named: never by their address -------------------------------------------------

def test_a_person_is_named_by_display_name_else_structure_else_a_number(app, demo, make_user):
    from commons.editions.models import Structure

    user = make_user()
    assert user.name == f"Contributeur·rice n°{user.id}"
    fibre = db.session.scalar(sa.select(Structure).where(Structure.name == "La Fibre64"))
    user.structure_id = fibre.id
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(User, user.id).name == "La Fibre64"
    db.session.get(User, user.id).display_name = "Camille Martin"
    assert db.session.get(User, user.id).name == "Camille Martin"


# Pages whose purpose is to show addresses to their reader: one's own account, the links an
# admin must pass on to each address, and the accounts an admin manages. Every other page is
# checked below (the audit journal included: it names people, never by their address).
SHOWS_ADDRESSES = {"accounts.profile_page", "accounts.relay_links", "accounts.admin_accounts",
                   "accounts.admin_account"}


def test_no_page_shows_an_address_or_its_local_part(app, client, signed_in, make_user, route_urls, contributor):
    """The contributor of route_urls has no display name and authored a revision, a carry
    proposal and a decision: history, recent changes, lineage and the API name them by number."""
    from commons.entries.models import Entry
    from commons.entries.services import revise_entry
    from tests.test_permissions import MATRIX

    entry = db.session.get(Entry, int(route_urls["entries.show"].rsplit("/", 1)[1]))
    revise_entry(entry, base_revision=entry.revision_number, author=contributor, kind=entry.kind,
                 title=entry.title + " (révisée)", body=entry.body + "\n\nAjout.", tags=entry.tag_names,
                 workshop=entry.workshop, summary="Précision")
    db.session.commit()
    local = contributor.email.split("@", 1)[0]
    assert len(local) >= 8  # long enough not to match by chance
    shown = {}
    for visitor in (client, signed_in(make_user(Role.ADMIN))):
        for (endpoint, method) in MATRIX:
            if method != "GET" or endpoint in SHOWS_ADDRESSES or endpoint in {"static", "resources.download"}:
                continue
            page = visitor.get(route_urls[endpoint]).get_data(as_text=True)
            if local in page or contributor.email in page:
                shown[endpoint] = page.count(local)
    assert shown == {}
    changes = unescape(client.get("/modifications").get_data(as_text=True))
    assert f"Contributeur·rice n°{contributor.id}" in changes
