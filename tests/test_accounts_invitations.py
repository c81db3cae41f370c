"""Invitations (issue 9): an admin invites one address with a role; the single-use link, valid
7 days, lets its holder choose a name and a password. Forged, expired, reused links: a French
page, nothing changed."""
from __future__ import annotations

from html import unescape

import pytest
import sqlalchemy as sa

from commons.accounts.models import AccountToken, AuditEvent, AuditKind, Role, TokenPurpose, User
from commons.accounts.tokens import hash_token
from commons.extensions import db
from tests.conftest import PASSWORD, relay_token

INVITED = "invitee@example.org"


def html(response) -> str:
    return unescape(response.get_data(as_text=True))


def users() -> list[User]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(User).order_by(User.id)))


def invite(admin_client, email: str = INVITED, role: str = "facilitator") -> str:
    response = admin_client.post("/admin/invitations", data={"email": email, "role": role})
    assert response.status_code == 302, html(response)
    return relay_token(TokenPurpose.INVITATION, email=email.strip().lower())


def accept(client, token: str, name: str = "Dominique Invitée", password: str = PASSWORD, confirm: str | None = None):
    return client.post(f"/invitation/{token}", data={"display_name": name, "password": password,
                                                     "confirm": password if confirm is None else confirm})


def test_an_invitation_is_tied_to_one_address_and_role_and_stores_only_a_hash(admin_client, admin):
    token = invite(admin_client, " Invitee@Example.org ")
    row = db.session.scalar(sa.select(AccountToken))
    assert (row.purpose, row.email, row.role, row.created_by_id) == (
        TokenPurpose.INVITATION, INVITED, Role.FACILITATOR, admin.id)
    assert row.token_hash == hash_token(token) and token not in row.token_hash
    assert (row.expires_at - row.created_at).days == 7
    assert INVITED in html(admin_client.get("/admin/invitations"))
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.kind == AuditKind.INVITATION_SENT))
    assert event.actor_id == admin.id and INVITED not in event.detail


def test_accepting_makes_the_account_with_the_invited_role_then_sign_in_works(app, admin_client, client):
    token = invite(admin_client)
    page = client.get(f"/invitation/{token}")
    assert page.status_code == 200 and "Animateur·rice" in html(page)
    response = accept(client, token)
    assert response.status_code == 302 and response.headers["Location"].endswith("/connexion")
    user = users()[-1]
    assert (user.email, user.role, user.display_name) == (INVITED, Role.FACILITATOR, "Dominique Invitée")
    assert client.post("/connexion", data={"email": INVITED, "password": PASSWORD}).status_code == 302
    assert db.session.scalar(sa.select(AccountToken)).used_at is not None
    assert db.session.scalar(sa.select(AccountToken)).relay_token is None
    assert AuditKind.INVITATION_ACCEPTED in db.session.scalars(sa.select(AuditEvent.kind)).all()


def test_a_reused_link_is_refused_and_changes_nothing(admin_client, client, app):
    token = invite(admin_client)
    assert accept(client, token).status_code == 302
    before = [(u.id, u.display_name) for u in users()]
    for response in (app.test_client().get(f"/invitation/{token}"), accept(app.test_client(), token, "Autre nom")):
        assert response.status_code == 410 and "Ce lien a déjà servi" in html(response)
    assert [(u.id, u.display_name) for u in users()] == before


def test_an_expired_link_is_refused(admin_client, client, fake_clock):
    token = invite(admin_client)
    fake_clock.advance(days=7, seconds=1)
    for response in (client.get(f"/invitation/{token}"), accept(client, token)):
        assert response.status_code == 410 and "Ce lien a expiré" in html(response)
    assert len(users()) == 1


def test_still_valid_just_before_seven_days(admin_client, client, fake_clock):
    token = invite(admin_client)
    fake_clock.advance(days=6, hours=23)
    assert accept(client, token).status_code == 302


@pytest.mark.parametrize("token", ["pas-un-vrai-jeton-mais-assez-long-0000", "court", "x" * 500, "%00" * 10])
def test_a_forged_link_is_refused(admin_client, client, token):
    invite(admin_client)
    for response in (client.get(f"/invitation/{token}"), accept(client, token)):
        assert response.status_code == 404 and "Ce lien n'est pas valide" in html(response)
    assert len(users()) == 1


def test_a_password_link_is_not_an_invitation(admin_client, client, contributor):
    from commons.accounts import tokens
    from commons.models import utcnow

    token = tokens.issue(TokenPurpose.RESET_PASSWORD, now=utcnow(), user=contributor)
    db.session.commit()
    assert accept(client, token).status_code == 404


@pytest.mark.parametrize("name, password, confirm, message", [
    ("N" * 10_000, PASSWORD, None, "Le nom affiché ne doit pas dépasser 120 caractères"),
    ("Dominique\x1bInvitée", PASSWORD, None, "caractères non autorisés"),
    ("Dominique", "court", None, "au moins 12 caractères"),
    ("Dominique", "motdepasse2024!", None, "fait partie des plus courants"),
    ("Dominique", "invitee-en-2026-!", None, "ni votre adresse électronique"),
    ("Dominique", PASSWORD, PASSWORD + "x", "Les deux mots de passe diffèrent."),
    ("", PASSWORD, None, "Indiquez le nom à afficher."),
])
def test_bad_input_is_refused_and_the_link_still_works(admin_client, client, name, password, confirm, message):
    token = invite(admin_client)
    response = accept(client, token, name, password, confirm)
    assert response.status_code == 422 and message in html(response).replace("\u202f", " ")
    assert len(users()) == 1
    assert accept(client, token).status_code == 302


def test_an_address_that_already_has_an_account_is_not_invited(admin_client, contributor):
    response = admin_client.post("/admin/invitations", data={"email": contributor.email.upper(), "role": "contributor"})
    assert response.status_code == 422 and "Un compte existe déjà pour cette adresse" in html(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AccountToken)) == 0


def test_an_invitation_whose_address_got_an_account_meanwhile_is_refused(admin_client, client, make_user):
    token = invite(admin_client)
    make_user(email=INVITED)
    response = accept(client, token)
    assert response.status_code == 409 and "Un compte existe déjà" in html(response)
    assert db.session.scalar(sa.select(AccountToken)).used_at is None


@pytest.mark.parametrize("data", [{"email": "", "role": "contributor"}, {"email": INVITED, "role": "roi"},
                                  {"email": "pas-une-adresse", "role": "contributor"}])
def test_an_invitation_needs_an_address_and_a_role(admin_client, data):
    assert admin_client.post("/admin/invitations", data=data).status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AccountToken)) == 0
