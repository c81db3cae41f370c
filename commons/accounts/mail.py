"""Outgoing mail: plain French text over SMTP, sent once the request's transaction is committed.

`send_after_commit` only queues: a message leaves when the unit of work commits, and is dropped
when it rolls back, so no one gets a link to an account a refused request never created.
Without MAIL_SERVER nothing is sent and nothing fails: the links wait for an admin at
/admin/liens (`keeps_links`). A mail server that fails is never shown: the request has
already succeeded. A temporary failure (no answer, a dropped connection, a 4xx reply) is tried
again after each of MAIL_RETRY_SECONDS, only for the messages not yet accepted (no one gets a
link twice); a permanent refusal (5xx) is not. What still fails is logged, and the person can
ask again.
"""
from __future__ import annotations

import logging
import smtplib
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
OUTBOX = "commons.outbox"
TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


def is_configured(config: Mapping) -> bool:
    return bool(config.get("MAIL_SERVER"))


def keeps_links(config: Mapping) -> bool:
    """True when links must be kept for admins to pass on (no mail server)."""
    return not is_configured(config)


def send_after_commit(session: Session, mail: Mail) -> None:
    if is_configured(current_app.config):
        if not session.in_transaction():
            session.begin()  # so that a rollback, even of nothing written, drops the outbox
        session.info.setdefault(OUTBOX, []).append(mail)


def build(mail: Mail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, mail.to, mail.subject
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    message.set_content(mail.body)  # text/plain; utf-8
    return message


def deliver(mails: list[Mail], config: Mapping) -> None:
    """Send, trying again after temporary failures; a failure is logged, never raised."""
    pending = list(mails)
    for delay in (0, *config.get("MAIL_RETRY_SECONDS", ())):
        time.sleep(delay)
        pending = _attempt(pending, config)
        if not pending:
            return
    log.error("Envoi de %d courriel(s) impossible par %s, après %d tentative(s)", len(pending),
              config.get("MAIL_SERVER"), 1 + len(config.get("MAIL_RETRY_SECONDS", ())))


def _attempt(mails: list[Mail], config: Mapping) -> list[Mail]:
    """One SMTP connection; the messages to try again (none after a permanent refusal)."""
    sent = 0
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], int(config.get("MAIL_PORT") or 25), timeout=TIMEOUT_SECONDS) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            for mail in mails:
                smtp.send_message(build(mail, config["MAIL_FROM"]))
                sent += 1
    except smtplib.SMTPResponseException as exc:
        if exc.smtp_code >= 500:
            log.error("Courriel refusé définitivement par %s (%s) : %d non envoyé(s)", config.get("MAIL_SERVER"),
                      exc.smtp_code, len(mails) - sent)
            return []
        log.warning("Envoi différé par %s (%s)", config.get("MAIL_SERVER"), exc.smtp_code)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("Envoi impossible pour l'instant par %s : %s", config.get("MAIL_SERVER"), exc)
    return mails[sent:]


_senders: set[threading.Thread] = set()
MAIL_KEYS = ("MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS", "MAIL_USERNAME", "MAIL_PASSWORD", "MAIL_FROM",
             "MAIL_RETRY_SECONDS")


def _after_commit(session: Session) -> None:
    # Off the request's path: a reset asked for a known address must answer as fast as for an
    # unknown one (no mail), or its timing would tell which addresses have an account.
    mails = session.info.pop(OUTBOX, None)
    if mails:
        settings = {key: current_app.config.get(key) for key in MAIL_KEYS}
        sender = threading.Thread(target=_send_in_background, args=(mails, settings), daemon=True,
                                  name="commons-mail")
        _senders.add(sender)
        sender.start()


def _send_in_background(mails: list[Mail], settings: dict) -> None:
    try:
        deliver(mails, settings)
    finally:
        _senders.discard(threading.current_thread())


def wait_for_senders(timeout: float = 10) -> None:
    """Until the mails handed to background threads have left (tests, a clean shutdown)."""
    for sender in list(_senders):
        sender.join(timeout)


def _after_rollback(session: Session, previous_transaction=None) -> None:
    session.info.pop(OUTBOX, None)


def listen() -> None:
    """Hook the outbox to every session's end (idempotent: several apps share the Session class)."""
    for name, handler in (("after_commit", _after_commit), ("after_soft_rollback", _after_rollback)):
        if not event.contains(Session, name, handler):
            event.listen(Session, name, handler)
