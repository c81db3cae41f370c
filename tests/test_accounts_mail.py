"""Mail (issue 9): through a local SMTP sink (aiosmtpd) — the right message to the right address
with an absolute link from COMMONS_BASE_URL (never the Host header), sent only once the request
commits; without a mail server, the links wait for admins and nothing fails."""
from __future__ import annotations

import email
import email.policy
import logging
import re
from html import unescape

import pytest
import sqlalchemy as sa

from commons.accounts import mail
from commons.accounts.models import AccountToken, TokenPurpose
from commons.extensions import db
from tests.conftest import PASSWORD, _free_port

BASE = "https://communs.example.org"
LINK = re.compile(re.escape(BASE) + r"(/[^\s]+)")


class Sink:
    """What the SMTP server received, as parsed messages."""

    def __init__(self, port: int):
        self.port = port
        self.received: list[email.message.EmailMessage] = []
        self.replies: list[str] = []  # answers to give before accepting (4xx, 5xx)
        self.attempts = 0

    async def handle_DATA(self, server, session, envelope):
        self.attempts += 1
        if self.replies:
            return self.replies.pop(0)
        self.received.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def messages(self) -> list[email.message.EmailMessage]:
        mail.wait_for_senders()
        return list(self.received)


@pytest.fixture
def smtp_sink():
    from aiosmtpd.controller import Controller

    sink = Sink(_free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    yield sink
    mail.wait_for_senders()
    controller.stop()


@pytest.fixture
def app_config(app_config, smtp_sink):
    return {**app_config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_sink.port,
            "MAIL_FROM": "communs@example.org", "COMMONS_BASE_URL": BASE, "MAIL_RETRY_SECONDS": (0.05, 0.05)}


def html(response) -> str:
    return unescape(response.get_data(as_text=True))


def only_message(sink: Sink, to: str) -> tuple[email.message.EmailMessage, str]:
    """The one message `to` got, and the path of the link it holds."""
    [message] = [m for m in sink.messages() if m["To"] == to]
    body = message.get_content()
    found = LINK.search(body)
    return message, found.group(1) if found else ""


JOIN = {"display_name": "Camille Martin", "email": "camille@example.org", "structure": "",
        "proposed_structure": "Médiathèque de Tarnos", "department": "40", "role": "contributor",
        "reason": "Partager nos pratiques."}


def test_an_approval_mails_the_set_password_link_from_the_base_url(client, admin_client, smtp_sink):
    assert client.post("/inscription", data=JOIN).status_code == 200
    assert smtp_sink.messages() == []  # a request alone mails no one
    request_id = db.session.scalar(sa.text("SELECT id FROM join_requests"))
    response = admin_client.post(f"/admin/demandes/{request_id}/approuver", data={"role": "contributor"})
    assert response.status_code == 302
    message, path = only_message(smtp_sink, "camille@example.org")
    assert message["From"] == "communs@example.org" and "mot de passe" in message["Subject"]
    assert message.get_content_type() == "text/plain" and message.get_content_charset() == "utf-8"
    assert path.startswith("/mot-de-passe/nouveau/")
    assert client.post(path, data={"password": PASSWORD, "confirm": PASSWORD}).status_code == 302
    assert client.post("/connexion", data={"email": "camille@example.org", "password": PASSWORD}).status_code == 302
    # With a mail server the token itself is not kept: only its hash.
    assert db.session.scalar(sa.select(AccountToken.relay_token)) is None


def test_open_sign_up_mails_the_link_at_once(app, client, smtp_sink):
    app.config["SIGNUP_MODE"] = "open"
    assert client.post("/inscription", data=JOIN).status_code == 200
    _message, path = only_message(smtp_sink, "camille@example.org")
    assert client.get(path).status_code == 200


def test_a_sign_up_with_a_known_address_tells_its_owner_and_nothing_else(client, contributor, smtp_sink):
    response = client.post("/inscription", data={**JOIN, "email": contributor.email})
    assert response.status_code == 200
    message, path = only_message(smtp_sink, contributor.email)
    assert "déjà un" in message.get_content() and path == "/mot-de-passe/oubli"


def test_an_invitation_is_mailed_to_the_invited_address(admin_client, client, smtp_sink):
    response = admin_client.post("/admin/invitations", data={"email": "invitee@example.org", "role": "facilitator"})
    assert response.status_code == 302
    message, path = only_message(smtp_sink, "invitee@example.org")
    assert "Animateur·rice" in message.get_content() and path.startswith("/invitation/")
    assert client.get(path).status_code == 200


def test_a_reset_mails_a_known_address_only_with_a_link_the_host_header_cannot_change(client, contributor,
                                                                                        smtp_sink):
    assert client.post("/mot-de-passe/oubli", data={"email": "personne@example.org"}).status_code == 302
    response = client.post("/mot-de-passe/oubli", data={"email": contributor.email},
                           headers={"Host": "piege.example.net"})
    assert response.status_code == 302
    assert [m["To"] for m in smtp_sink.messages()] == [contributor.email]
    message, path = only_message(smtp_sink, contributor.email)
    assert "1 heure" in message.get_content() and path.startswith("/mot-de-passe/nouveau/")
    assert "piege.example.net" not in message.get_content()


def test_a_new_address_gets_the_link_and_the_old_one_is_told(app, contributor_client, contributor, smtp_sink):
    old = contributor.email
    response = contributor_client.post("/compte/adresse", data={"em-new_email": "nouvelle@example.org",
                                                                "em-password": PASSWORD})
    assert response.status_code == 302
    _message, path = only_message(smtp_sink, "nouvelle@example.org")
    assert [m["To"] for m in smtp_sink.messages()] == ["nouvelle@example.org"]  # nothing changed yet
    assert app.test_client().post(path).status_code == 302
    notice, _path = only_message(smtp_sink, old)
    assert "remplacée" in notice.get_content()


def test_a_refusal_mails_the_admins_message(client, admin_client, smtp_sink):
    client.post("/inscription", data=JOIN)
    request_id = db.session.scalar(sa.text("SELECT id FROM join_requests"))
    admin_client.post(f"/admin/demandes/{request_id}/refuser", data={"message": "Réservé aux structures du NEC."})
    message, _path = only_message(smtp_sink, "camille@example.org")
    assert "Réservé aux structures du NEC." in message.get_content()


def test_mail_leaves_only_when_the_transaction_commits(app, smtp_sink):
    with app.test_request_context():
        mail.send_after_commit(db.session(), mail.Mail("annulee@example.org", "Annulé", "Rien."))
        db.session.rollback()
        db.session.commit()
        assert smtp_sink.messages() == []
        mail.send_after_commit(db.session(), mail.Mail("validee@example.org", "Validé", "Parti."))
        db.session.commit()
    assert [m["To"] for m in smtp_sink.messages()] == ["validee@example.org"]


def test_a_refused_request_sends_nothing(client, admin_client, smtp_sink):
    response = admin_client.post("/admin/invitations", data={"email": "pas-une-adresse", "role": "contributor"})
    assert response.status_code == 422
    assert smtp_sink.messages() == []


def test_an_unreachable_mail_server_fails_nothing(app, client, contributor, caplog):
    app.config["MAIL_PORT"] = _free_port()  # nobody listens there
    with caplog.at_level(logging.ERROR, logger="commons.accounts.mail"):
        assert client.post("/mot-de-passe/oubli", data={"email": contributor.email}).status_code == 302
        mail.wait_for_senders()
    assert "Envoi de 1 courriel(s) impossible par 127.0.0.1, après 3 tentative(s)" in caplog.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AccountToken)) == 1


def test_a_temporary_refusal_is_tried_again_and_the_mail_arrives_once(client, contributor, smtp_sink):
    smtp_sink.replies = ["451 4.3.0 Try again later", "421 4.3.2 Service indisponible"]
    assert client.post("/mot-de-passe/oubli", data={"email": contributor.email}).status_code == 302
    message, path = only_message(smtp_sink, contributor.email)
    assert path.startswith("/mot-de-passe/nouveau/") and smtp_sink.attempts == 3


def test_a_permanent_refusal_is_not_tried_again(client, contributor, smtp_sink, caplog):
    smtp_sink.replies = ["550 5.1.1 Unknown mailbox"]
    with caplog.at_level(logging.ERROR, logger="commons.accounts.mail"):
        assert client.post("/mot-de-passe/oubli", data={"email": contributor.email}).status_code == 302
        assert smtp_sink.messages() == []
    assert smtp_sink.attempts == 1 and "refusé définitivement" in caplog.text


def test_without_a_mail_server_the_links_wait_for_admins(app, admin_client, client, contributor, smtp_sink):
    app.config["MAIL_SERVER"] = None
    assert admin_client.post("/admin/invitations", data={"email": "invitee@example.org",
                                                         "role": "contributor"}).status_code == 302
    assert client.post("/mot-de-passe/oubli", data={"email": contributor.email}).status_code == 302
    assert smtp_sink.messages() == []
    page = html(admin_client.get("/admin/liens"))
    rows = db.session.scalars(sa.select(AccountToken).order_by(AccountToken.id)).all()
    assert [row.purpose for row in rows] == [TokenPurpose.INVITATION, TokenPurpose.RESET_PASSWORD]
    assert f"{BASE}/invitation/{rows[0].relay_token}" in page and "invitee@example.org" in page
    assert f"{BASE}/mot-de-passe/nouveau/{rows[1].relay_token}" in page and contributor.email in page
    # Once used, a link leaves the page and the table forgets the token.
    assert client.post(f"/invitation/{rows[0].relay_token}", data={
        "display_name": "Dominique", "password": PASSWORD, "confirm": PASSWORD}).status_code == 302
    assert "invitee@example.org" not in html(admin_client.get("/admin/liens"))
