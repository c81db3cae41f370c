"""Asking to join (issue 9): the three sign-up modes, no enumeration, bad input, throttling, and
the admins' answer (approve with a role at most the one asked, or refuse with a message)."""
from __future__ import annotations

import json
from html import unescape

import pytest
import sqlalchemy as sa

from commons import create_app
from commons.accounts.models import (
    AccountToken,
    AuditEvent,
    AuditKind,
    JoinRequest,
    JoinStatus,
    Role,
    TokenPurpose,
    User,
)
from commons.editions.models import Structure
from commons.extensions import db
from tests.conftest import PASSWORD, relay_token


def html(response) -> str:
    return unescape(response.get_data(as_text=True))


def form(**overrides) -> dict:
    data = {"display_name": "Camille Martin", "email": "camille@example.org", "structure": "",
            "proposed_structure": "Médiathèque de Tarnos", "department": "40", "role": "contributor",
            "reason": "Je veux partager les pratiques de notre médiathèque."}
    return {**data, **overrides}


def requests() -> list[JoinRequest]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(JoinRequest).order_by(JoinRequest.id)))


def users() -> list[User]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(User).order_by(User.id)))


def kinds() -> list[AuditKind]:
    return list(db.session.scalars(sa.select(AuditEvent.kind).order_by(AuditEvent.id)))


def make_request(client, **overrides) -> JoinRequest:
    assert client.post("/inscription", data=form(**overrides)).status_code == 200
    return requests()[-1]


# --- the form and the approval mode (the default) -------------------------------------------------

def test_the_form_offers_the_structures_directory_and_the_departments(client, demo):
    page = html(client.get("/inscription"))
    assert "Alpi — Agence landaise pour l'informatique" in page and "La Fibre64" in page
    assert "40 – Landes" in page and "64 – Pyrénées-Atlantiques" in page and "2A – Corse-du-Sud" in page


def test_a_request_waits_for_an_admin_and_creates_no_account(client, demo):
    fibre = db.session.scalar(sa.select(Structure).where(Structure.name == "La Fibre64"))
    response = client.post("/inscription", data=form(structure=str(fibre.id), proposed_structure="ignorée",
                                                     role="facilitator", email=" Camille@Example.org "))
    assert response.status_code == 200 and "Demande envoyée" in html(response)
    [request] = requests()
    assert (request.email, request.display_name, request.structure_id, request.proposed_structure,
            request.department, request.role_asked, request.status) == (
        "camille@example.org", "Camille Martin", fibre.id, "", "40", Role.FACILITATOR, JoinStatus.PENDING)
    assert users() == [] and AuditKind.SIGNUP_REQUESTED in kinds()


def test_a_known_address_gets_exactly_the_same_answer_and_stores_nothing(client, contributor):
    new = client.post("/inscription", data=form(email="nouvelle@example.org"))
    known_account = client.post("/inscription", data=form(email=contributor.email.upper()))
    known_request = client.post("/inscription", data=form(email="nouvelle@example.org"))
    assert new.status_code == known_account.status_code == known_request.status_code == 200
    assert html(new) == html(known_account) == html(known_request)
    assert [r.email for r in requests()] == ["nouvelle@example.org"]
    assert len(users()) == 1


@pytest.mark.parametrize("overrides, message", [
    ({"display_name": "N" * 10_000}, "Le nom affiché ne doit pas dépasser 120 caractères (10 000 actuellement)."),
    ({"display_name": "Camille\x07Martin"}, "Le nom affiché contient des caractères non autorisés"),
    ({"display_name": "Cam\u200bille"}, "Le nom affiché contient des caractères invisibles"),
    ({"display_name": "\u0410dmin Hubikoop"}, "Le nom affiché mêle dans un même mot des lettres latines"),  # Cyrillic А
    ({"display_name": "Camille La Fibre6\u03bf4 H\u03bfbikoop"}, "mêle dans un même mot"),  # Greek ο
    ({"email": "pas-une-adresse"}, "Adresse électronique invalide."),
    ({"email": "a\x00b@example.org"}, "L'adresse électronique contient des caractères non autorisés"),
    ({"reason": "x" * 1001}, "Votre motivation ne doit pas dépasser 1 000 caractères"),
    ({"reason": ""}, "Dites en quelques mots pourquoi vous souhaitez un compte."),
    ({"proposed_structure": "S" * 10_000}, "Le nom de la structure ne doit pas dépasser 200 caractères"),
    ({"proposed_structure": ""}, "Choisissez votre structure dans la liste, ou écrivez son nom."),
    ({"structure": "999999"}, "Ce choix n'est pas proposé."),
    ({"department": "99"}, "Ce choix n'est pas proposé."),
    ({"department": ""}, "Choisissez votre département dans la liste."),
    ({"role": "admin"}, "Ce choix n'est pas proposé."),
])
def test_bad_input_is_refused_in_french_and_nothing_is_stored(client, overrides, message):
    response = client.post("/inscription", data=form(**overrides))
    assert response.status_code == 422
    assert message in html(response).replace("\u202f", " ")
    assert requests() == [] and users() == []


def test_sign_up_is_throttled_per_client_address(client, fake_clock):
    for n in range(5):
        response = client.post("/inscription", data=form(email=f"p{n}@example.org"),
                               environ_base={"REMOTE_ADDR": "203.0.113.5"})
        assert response.status_code == 200
    locked = client.post("/inscription", data=form(email="p5@example.org"), environ_base={"REMOTE_ADDR": "203.0.113.5"})
    assert locked.status_code == 429 and "Trop de demandes depuis peu" in html(locked)
    assert locked.headers["Retry-After"] == "3600"
    other = client.post("/inscription", data=form(email="p6@example.org"), environ_base={"REMOTE_ADDR": "198.51.100.5"})
    assert other.status_code == 200
    assert sorted(r.email for r in requests()) == [f"p{n}@example.org" for n in (0, 1, 2, 3, 4, 6)]
    fake_clock.advance(hours=1, seconds=1)
    assert client.post("/inscription", data=form(email="p7@example.org"),
                       environ_base={"REMOTE_ADDR": "203.0.113.5"}).status_code == 200


# --- open and closed modes --------------------------------------------------------------------------

def test_open_mode_makes_a_contributor_account_with_a_link_to_set_its_password(app, client):
    app.config["SIGNUP_MODE"] = "open"
    response = client.post("/inscription", data=form(role="facilitator"))
    assert response.status_code == 200 and "choisir votre mot de passe" in html(response)
    [user] = users()
    assert (user.email, user.role, user.password_hash, user.department) == (
        "camille@example.org", Role.CONTRIBUTOR, "", "40")
    assert requests() == []
    # No password yet: nothing signs in until the link is used.
    assert client.post("/connexion", data={"email": user.email, "password": "n-importe-quoi-123"}).status_code == 422
    token = relay_token(TokenPurpose.SET_PASSWORD, user=user)
    assert client.post(f"/mot-de-passe/nouveau/{token}",
                       data={"password": PASSWORD, "confirm": PASSWORD}).status_code == 302
    assert client.post("/connexion", data={"email": user.email, "password": PASSWORD}).status_code == 302


def test_open_mode_answers_a_known_address_like_a_new_one(app, client, contributor):
    app.config["SIGNUP_MODE"] = "open"
    new = client.post("/inscription", data=form())
    known = client.post("/inscription", data=form(email=contributor.email))
    assert (new.status_code, html(new)) == (known.status_code, html(known))
    assert len(users()) == 2


def test_closed_mode_says_so_and_takes_nothing(app, client):
    app.config["SIGNUP_MODE"] = "closed"
    page = client.get("/inscription")
    assert page.status_code == 403 and "Les inscriptions sont fermées" in html(page)
    assert client.post("/inscription", data=form()).status_code == 403
    assert requests() == [] and users() == []


def test_pages_offer_to_join_unless_sign_up_is_closed(app, client):
    assert "Demander un compte" in html(client.get("/connexion"))
    app.config["SIGNUP_MODE"] = "closed"
    assert "Demander un compte" not in html(client.get("/connexion"))


def test_the_mode_comes_from_the_environment_and_an_unknown_one_stops_the_start(monkeypatch, tmp_path):
    monkeypatch.setenv("COMMONS_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "x")
    monkeypatch.setenv("COMMONS_SIGNUP_MODE", "closed")
    assert create_app().config["SIGNUP_MODE"] == "closed"
    monkeypatch.setenv("COMMONS_SIGNUP_MODE", "ouvert")
    with pytest.raises(RuntimeError, match="SIGNUP_MODE"):
        create_app()


# --- the admins' answer --------------------------------------------------------------------------

def test_the_admin_page_lists_pending_requests(client, admin_client):
    make_request(client, display_name="Dominique Attente")
    page = html(admin_client.get("/admin/demandes"))
    assert "Dominique Attente" in page and "camille@example.org" in page and "Médiathèque de Tarnos" in page
    assert "40 – Landes" in page


def test_approving_with_a_lower_role_creates_the_account_and_a_set_password_link(client, admin_client, admin):
    request = make_request(client, role="facilitator")
    response = admin_client.post(f"/admin/demandes/{request.id}/approuver", data={"role": "contributor"})
    assert response.status_code == 302
    [_admin, user] = users()
    assert (user.email, user.role, user.display_name, user.password_hash) == (
        "camille@example.org", Role.CONTRIBUTOR, "Camille Martin", "")
    request = requests()[0]
    assert (request.status, request.role_granted, request.user_id, request.decided_by_id) == (
        JoinStatus.APPROVED, Role.CONTRIBUTOR, user.id, admin.id)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.kind == AuditKind.JOIN_APPROVED))
    assert (event.actor_id, event.subject_id) == (admin.id, user.id)
    token = relay_token(TokenPurpose.SET_PASSWORD, user=user)
    assert token in html(admin_client.get("/admin/liens"))


def test_an_admin_cannot_grant_more_than_was_asked(client, admin_client):
    request = make_request(client, role="contributor")
    response = admin_client.post(f"/admin/demandes/{request.id}/approuver", data={"role": "facilitator"})
    assert response.status_code == 422 and "au plus égal à celui demandé" in html(response)
    assert requests()[0].status is JoinStatus.PENDING and len(users()) == 1


def test_refusing_records_the_message_and_creates_nothing(client, admin_client, admin):
    request = make_request(client)
    response = admin_client.post(f"/admin/demandes/{request.id}/refuser",
                                 data={"message": "Merci ; ce compte est réservé aux structures du NEC."})
    assert response.status_code == 302
    request = requests()[0]
    assert (request.status, request.refusal_message, request.decided_by_id) == (
        JoinStatus.REFUSED, "Merci ; ce compte est réservé aux structures du NEC.", admin.id)
    assert len(users()) == 1 and AuditKind.JOIN_REFUSED in kinds()
    assert "Merci ; ce compte" not in html(admin_client.get("/admin/demandes"))


@pytest.mark.parametrize("message", ["", "m" * 1001, "bip\x07"])
def test_a_refusal_needs_a_clean_message(client, admin_client, message):
    request = make_request(client)
    response = admin_client.post(f"/admin/demandes/{request.id}/refuser", data={"message": message})
    assert response.status_code == 422
    assert requests()[0].status is JoinStatus.PENDING


def test_a_request_is_answered_once(client, admin_client):
    request = make_request(client)
    assert admin_client.post(f"/admin/demandes/{request.id}/approuver", data={"role": "contributor"}).status_code == 302
    again = admin_client.post(f"/admin/demandes/{request.id}/refuser", data={"message": "Non."})
    assert again.status_code == 409 and "déjà reçu une réponse" in html(again)
    assert requests()[0].status is JoinStatus.APPROVED
    refused = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.kind == AuditKind.ADMIN_ACTION_REFUSED)).all()
    assert [json.loads(e.detail)["action"] for e in refused] == ["refuse_request"]
    assert admin_client.post("/admin/demandes/999999/approuver", data={"role": "contributor"}).status_code == 404


def test_approving_an_address_that_got_an_account_meanwhile_is_refused(client, admin_client, make_user):
    request = make_request(client)
    make_user(email="camille@example.org")
    response = admin_client.post(f"/admin/demandes/{request.id}/approuver", data={"role": "contributor"})
    assert response.status_code == 409 and "Un compte existe déjà" in html(response)
    assert requests()[0].status is JoinStatus.PENDING
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AccountToken)) == 0


def test_the_migration_goes_down_and_up_again(tmp_path):
    from flask_migrate import downgrade, upgrade

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "COMMONS_INDEX_DIR": str(tmp_path / "index"),
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.db'}"})
    with app.app_context():
        upgrade()
        downgrade(revision="0009")
        tables = set(sa.inspect(db.engine).get_table_names())
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("users")}
        with db.engine.connect() as conn:  # raw: SQLAlchemy warns that it cannot reflect an expression index
            indexes = set(conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'").scalars())
        upgrade()
        again = set(sa.inspect(db.engine).get_table_names())
        db.engine.dispose()
    assert not {"join_requests", "account_tokens"} & tables and "department" not in columns
    assert "uq_users_email_lower" in indexes  # 0009's index survives the table copy
    assert {"join_requests", "account_tokens"} <= again


# --- the whole way in, in a browser ----------------------------------------------------------------

@pytest.mark.browser
def test_a_visitor_joins_is_approved_sets_a_password_and_signs_in(app, page, live_server, demo, browser_login):
    page.goto(live_server + "/inscription")
    page.get_by_label("Nom affiché").fill("Camille Martin")
    page.get_by_label("Adresse électronique").fill("camille@example.org")
    page.get_by_label("Votre structure").select_option(label="La Fibre64")
    page.get_by_label("Département").select_option("40")
    page.get_by_label("Rôle demandé").select_option("contributor")
    page.get_by_label("Pourquoi souhaitez-vous un compte").fill("Partager les pratiques de notre tiers-lieu.")
    page.get_by_role("button", name="Envoyer la demande").click()
    page.get_by_role("heading", name="Demande envoyée").wait_for()

    admin_context = page.context.browser.new_context(locale="fr-FR")
    admin_page = admin_context.new_page()
    browser_login(admin_page, Role.ADMIN)
    admin_page.goto(live_server + "/admin/demandes")
    admin_page.get_by_role("button", name="Accepter la demande de Camille Martin").click()
    admin_page.wait_for_url("**/admin/demandes")
    admin_page.goto(live_server + "/admin/liens")
    link = admin_page.locator(".relay-link").first.inner_text()
    admin_context.close()

    # The link is built on COMMONS_BASE_URL; the test server listens elsewhere.
    page.goto(live_server + link.removeprefix(app.config["COMMONS_BASE_URL"]))
    page.get_by_label("Nouveau mot de passe").fill(PASSWORD)
    page.get_by_label("Le même mot de passe, une seconde fois").fill(PASSWORD)
    page.get_by_role("button", name="Enregistrer le mot de passe").click()
    page.wait_for_url("**/connexion")
    page.get_by_label("Adresse électronique").fill("camille@example.org")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(lambda url: "/connexion" not in url)

    assert page.goto(live_server + "/admin/demandes").status == 403
    page.goto(live_server + "/compte/sessions")
    page.get_by_role("button", name="Se déconnecter partout").click()
    page.wait_for_url(live_server + "/")
    page.goto(live_server + "/compte")
    assert "/connexion" in page.url


@pytest.mark.parametrize("name", ["Ελένη Παπαδοπούλου", "Алексей Иванов", "Zoé Müller-Łukasiewicz", "Иван (Hubikoop)"])
def test_a_name_in_one_script_per_word_is_accepted(client, name):
    """Greek, Cyrillic and accented Latin names are names: only the mixed word impersonates."""
    response = client.post("/inscription", data=form(display_name=name))
    assert response.status_code == 200
    assert [r.display_name for r in requests()] == [name]
