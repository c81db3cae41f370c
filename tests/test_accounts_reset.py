"""Forgotten passwords (issue 9): the same answer for any address, a single-use link valid one
hour and worthless once the password changed, the password rules, every session ended, and
requests throttled per address and per email."""
from __future__ import annotations

from datetime import timedelta
from html import unescape

import pytest
import sqlalchemy as sa

from commons.accounts import tokens
from commons.accounts.models import AccountToken, AuditEvent, AuditKind, TokenPurpose
from commons.accounts.services import change_password
from commons.extensions import db
from tests.conftest import PASSWORD, relay_token

NEW = "genevrier-marais-ondres"


def html(response) -> str:
    return unescape(response.get_data(as_text=True))


def ask(client, email: str, address: str = "127.0.0.1"):
    return client.post("/mot-de-passe/oubli", data={"email": email}, environ_base={"REMOTE_ADDR": address})


def links() -> list[AccountToken]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(AccountToken).order_by(AccountToken.id)))


def choose(client, token: str, password: str = NEW, confirm: str | None = None):
    return client.post(f"/mot-de-passe/nouveau/{token}",
                       data={"password": password, "confirm": password if confirm is None else confirm})


def signs_in(app, email: str, password: str) -> bool:
    return app.test_client().post("/connexion", data={"email": email, "password": password}).status_code == 302


def test_known_and_unknown_addresses_get_the_same_answer(client, contributor):
    answers = []
    for email in (contributor.email, "personne@example.org"):
        response = ask(client, email)
        answers.append((response.status_code, response.headers["Location"], html(client.get(response.headers["Location"]))))
    assert answers[0] == answers[1]
    assert answers[0][0] == 302 and "Si un compte existe pour cette adresse" in answers[0][2]
    [link] = links()
    assert (link.purpose, link.user_id) == (TokenPurpose.RESET_PASSWORD, contributor.id)
    assert (link.expires_at - link.created_at).total_seconds() == 3600


def test_a_disabled_account_gets_no_link(client, contributor):
    contributor.is_enabled = False
    db.session.commit()
    assert ask(client, contributor.email).status_code == 302
    assert links() == []


def test_the_link_sets_a_new_password_and_ends_every_session(app, client, contributor, signed_in):
    elsewhere = signed_in(contributor)
    assert elsewhere.get("/compte/sessions").status_code == 200
    ask(client, contributor.email)
    token = relay_token(TokenPurpose.RESET_PASSWORD, user=contributor)
    assert client.get(f"/mot-de-passe/nouveau/{token}").status_code == 200
    response = choose(client, token)
    assert response.status_code == 302 and response.headers["Location"].endswith("/connexion")
    assert elsewhere.get("/compte/sessions").status_code == 302  # signed out
    assert not signs_in(app, contributor.email, PASSWORD) and signs_in(app, contributor.email, NEW)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.kind == AuditKind.PASSWORD_RESET))
    assert event.subject_id == contributor.id and '"sessions_ended": 1' in event.detail
    assert links()[0].relay_token is None


def test_a_used_link_is_refused(app, client, contributor):
    ask(client, contributor.email)
    token = relay_token(TokenPurpose.RESET_PASSWORD, user=contributor)
    assert choose(client, token).status_code == 302
    again = choose(app.test_client(), token, "une-autre-phrase-secrete")
    assert again.status_code == 410 and "Ce lien a déjà servi" in html(again)
    assert signs_in(app, contributor.email, NEW)


def test_a_link_expires_after_one_hour(app, client, contributor, fake_clock):
    ask(client, contributor.email)
    token = relay_token(TokenPurpose.RESET_PASSWORD, user=contributor)
    fake_clock.advance(minutes=59)
    assert client.get(f"/mot-de-passe/nouveau/{token}").status_code == 200
    fake_clock.advance(minutes=1)
    response = choose(client, token)
    assert response.status_code == 410 and "Ce lien a expiré" in html(response)
    assert signs_in(app, contributor.email, PASSWORD)


def test_a_password_change_makes_earlier_links_worthless(app, client, contributor, fake_clock):
    ask(client, contributor.email)
    first = relay_token(TokenPurpose.RESET_PASSWORD, user=contributor)
    ask(client, contributor.email)
    second = relay_token(TokenPurpose.RESET_PASSWORD, user=contributor)
    fake_clock.advance(seconds=1)
    change_password(contributor, NEW, now=fake_clock.moment, keep_session_id=None)
    db.session.commit()
    for token in (first, second):
        response = choose(client, token, "une-autre-phrase-secrete")
        assert response.status_code == 410, token
    assert signs_in(app, contributor.email, NEW)


def test_a_link_made_before_a_password_change_is_refused_even_if_not_retired(app, client, contributor, fake_clock):
    """The check on the account's password_changed_at holds by itself (a link the retiring
    update would miss, made in a transaction racing the change)."""
    token = tokens.issue(TokenPurpose.RESET_PASSWORD, now=fake_clock.moment, user=contributor)
    contributor.password_changed_at = fake_clock.moment + timedelta(seconds=1)
    db.session.commit()
    response = client.get(f"/mot-de-passe/nouveau/{token}")
    assert response.status_code == 410 and "le compte a changé" in html(response)


def test_using_one_link_retires_the_others(app, client, contributor):
    ask(client, contributor.email)
    first = relay_token(TokenPurpose.RESET_PASSWORD, user=contributor)
    ask(client, contributor.email)
    second = relay_token(TokenPurpose.RESET_PASSWORD, user=contributor)
    assert choose(client, second).status_code == 302
    assert choose(client, first, "une-autre-phrase-secrete").status_code == 410
    assert signs_in(app, contributor.email, NEW)


@pytest.mark.parametrize("password, confirm, message", [
    ("court", None, "au moins 12 caractères"),
    ("azertyuiop123", None, "fait partie des plus courants"),
    (NEW, NEW + "!", "Les deux mots de passe diffèrent."),
])
def test_the_new_password_follows_the_rules_and_the_link_stays_usable(app, client, contributor, password, confirm,
                                                                      message):
    ask(client, contributor.email)
    token = relay_token(TokenPurpose.RESET_PASSWORD, user=contributor)
    response = choose(client, token, password, confirm)
    assert response.status_code == 422 and message in html(response)
    assert signs_in(app, contributor.email, PASSWORD)
    assert choose(client, token).status_code == 302


def test_the_password_may_not_contain_the_address(app, client, make_user):
    user = make_user(email="martine.lacroix@example.org")
    ask(client, user.email)
    token = relay_token(TokenPurpose.RESET_PASSWORD, user=user)
    response = choose(client, token, "martine.lacroix-2026-mer")
    assert response.status_code == 422 and "ni votre adresse électronique" in html(response)


@pytest.mark.parametrize("token", ["faux-jeton-assez-long-pour-la-forme-000", "x", "é" * 30])
def test_a_forged_link_is_refused(client, contributor, token):
    response = client.get(f"/mot-de-passe/nouveau/{token}")
    assert response.status_code == 404 and "Ce lien n'est pas valide" in html(response)
    assert choose(client, token).status_code == 404


def test_requests_are_throttled_per_email_known_or_not(client, contributor, fake_clock):
    for email in (contributor.email, "personne@example.org"):
        statuses = [ask(client, email, address=f"198.51.100.{n}").status_code for n in range(4)]
        assert statuses == [302, 302, 302, 429]
    assert len(links()) == 3
    locked = ask(client, contributor.email, address="198.51.100.99")
    assert "Trop de demandes depuis peu" in html(locked)
    fake_clock.advance(hours=1, seconds=1)
    assert ask(client, contributor.email, address="198.51.100.99").status_code == 302


def test_requests_are_throttled_per_address(client, fake_clock):
    statuses = [ask(client, f"p{n}@example.org", address="203.0.113.9").status_code for n in range(11)]
    assert statuses == [302] * 10 + [429]
    assert ask(client, "p11@example.org", address="203.0.113.10").status_code == 302
