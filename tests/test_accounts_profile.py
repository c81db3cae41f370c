"""My account (/compte, issue 9): a new password (the current one required, wrong guesses
throttled, the other sessions ended) and a new address (it changes only when the link sent to it
is opened; the answer is the same when another account has it)."""
from __future__ import annotations

from html import unescape

import pytest
import sqlalchemy as sa

from commons.accounts.models import AccountToken, AuditEvent, AuditKind, TokenPurpose, User
from commons.extensions import db
from tests.conftest import PASSWORD, relay_token

NEW = "genevrier-marais-ondres"


def html(response) -> str:
    return unescape(response.get_data(as_text=True))


def new_password(client, current: str = PASSWORD, password: str = NEW, confirm: str | None = None):
    return client.post("/compte/mot-de-passe", data={"pw-current": current, "pw-password": password,
                                                     "pw-confirm": password if confirm is None else confirm})


def new_address(client, email: str, password: str = PASSWORD):
    return client.post("/compte/adresse", data={"em-new_email": email, "em-password": password})


def email_of(user: User) -> str:
    db.session.expire_all()
    return db.session.get(User, user.id).email


def test_the_page_shows_my_account(contributor_client, contributor):
    page = html(contributor_client.get("/compte"))
    assert contributor.email in page and "Contributeur·rice" in page
    assert 'id="pw-current"' in page and 'id="em-password"' in page  # two forms, no id twice


def test_a_new_password_needs_the_current_one_and_ends_the_other_sessions(app, contributor, signed_in):
    here, elsewhere = signed_in(contributor), signed_in(contributor)
    wrong = new_password(here, current="pas-le-bon-mot-de-passe")
    assert wrong.status_code == 422 and "Mot de passe actuel incorrect." in html(wrong)
    assert elsewhere.get("/compte").status_code == 200
    response = new_password(here)
    assert response.status_code == 302
    assert here.get("/compte").status_code == 200 and elsewhere.get("/compte").status_code == 302
    client = app.test_client()
    assert client.post("/connexion", data={"email": contributor.email, "password": NEW}).status_code == 302


@pytest.mark.parametrize("password, confirm, message", [
    ("court", None, "au moins 12 caractères"),
    (NEW, NEW + "?", "Les deux mots de passe diffèrent."),
])
def test_a_new_password_follows_the_rules(contributor_client, contributor, password, confirm, message):
    response = new_password(contributor_client, password=password, confirm=confirm)
    assert response.status_code == 422 and message in html(response)
    db.session.expire_all()
    assert db.session.get(User, contributor.id).check_password(PASSWORD)


def test_wrong_current_passwords_are_throttled_like_sign_in(contributor_client, contributor, fake_clock):
    statuses = [new_password(contributor_client, current=f"mauvais-{n}-mot-de-passe").status_code for n in range(5)]
    assert statuses == [422] * 4 + [429]
    assert new_password(contributor_client).status_code == 429  # even with the right one, until the lock ends
    fake_clock.advance(minutes=1, seconds=1)
    assert new_password(contributor_client).status_code == 302


def test_a_new_address_changes_only_when_its_link_is_opened(app, contributor_client, contributor):
    old = contributor.email
    response = new_address(contributor_client, " Nouvelle@Example.org ")
    assert response.status_code == 302 and email_of(contributor) == old
    token = relay_token(TokenPurpose.CONFIRM_EMAIL, user=contributor)
    page = app.test_client().get(f"/compte/adresse/{token}")
    assert page.status_code == 200 and "nouvelle@example.org" in html(page) and email_of(contributor) == old
    assert app.test_client().post(f"/compte/adresse/{token}").status_code == 302
    assert email_of(contributor) == "nouvelle@example.org"
    assert AuditKind.EMAIL_CHANGED in db.session.scalars(sa.select(AuditEvent.kind)).all()
    again = app.test_client().post(f"/compte/adresse/{token}")
    assert again.status_code == 410 and "déjà servi" in html(again)


def test_an_address_another_account_has_gets_the_same_answer_and_no_link(contributor_client, contributor, make_user):
    other = make_user(email="prise@example.org")
    answers = []
    for email in ("libre@example.org", other.email):
        response = new_address(contributor_client, email)
        answers.append((response.status_code, html(contributor_client.get(response.headers["Location"]))))
    assert answers[0] == answers[1] and answers[0][0] == 302
    assert [row.email for row in db.session.scalars(sa.select(AccountToken))] == ["libre@example.org"]


def test_an_address_taken_between_request_and_confirmation_is_refused(app, contributor_client, contributor, make_user):
    new_address(contributor_client, "convoitee@example.org")
    token = relay_token(TokenPurpose.CONFIRM_EMAIL, user=contributor)
    make_user(email="convoitee@example.org")
    response = app.test_client().post(f"/compte/adresse/{token}")
    assert response.status_code == 409 and email_of(contributor) != "convoitee@example.org"


@pytest.mark.parametrize("email, password, message", [
    ("nouvelle@example.org", "pas-le-bon-mot-de-passe", "Mot de passe actuel incorrect."),
    ("pas-une-adresse", PASSWORD, "Adresse électronique invalide."),
    ("a\x07b@example.org", PASSWORD, "caractères non autorisés"),
    ("x" * 10_000 + "@example.org", PASSWORD, "254"),
])
def test_bad_new_addresses_are_refused(contributor_client, contributor, email, password, message):
    response = new_address(contributor_client, email, password)
    assert response.status_code == 422 and message in html(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AccountToken)) == 0


def test_my_own_address_again_is_refused(contributor_client, contributor):
    response = new_address(contributor_client, contributor.email.upper())
    assert response.status_code == 422 and "déjà l'adresse de votre compte" in html(response)


def test_an_expired_confirmation_link_changes_nothing(app, contributor_client, contributor, fake_clock):
    new_address(contributor_client, "nouvelle@example.org")
    token = relay_token(TokenPurpose.CONFIRM_EMAIL, user=contributor)
    fake_clock.advance(days=1, seconds=1)
    assert app.test_client().post(f"/compte/adresse/{token}").status_code == 410
    assert email_of(contributor) != "nouvelle@example.org"
