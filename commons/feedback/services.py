"""Opening, closing and answering a questionnaire. Services check before they write, then
flush only: the request commits (`commons.database.end_request`)."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from commons.accounts.models import User
from commons.database import claim, insert_or_ignore
from commons.editions.models import Edition
from commons.errors import ConflictError, ServiceError
from commons.extensions import db
from commons.feedback.models import FeedbackAnswer, Questionnaire, QuestionnaireStatus
from commons.feedback.questions import COMMENT_MAX, QUESTIONS
from commons.validation import TextRule


class FeedbackError(ServiceError):
    """Refused by the questionnaire's rules."""


class QuestionnaireClosed(FeedbackError):
    status = 410


class AlreadyAnswered(ConflictError):
    """This browser has answered this questionnaire already."""


COMMENT = TextRule(_l("Le commentaire"), COMMENT_MAX, "comment", is_multiline=True, error=FeedbackError)


@dataclass(frozen=True)
class AnswerData:
    choices: dict[str, str]  # question key → choice value
    comment: str = ""
    is_publishable: bool = False


def for_edition(edition: Edition) -> Questionnaire | None:
    return db.session.scalar(sa.select(Questionnaire).where(Questionnaire.edition_id == edition.id))


def by_token(token: str) -> Questionnaire | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(sa.select(Questionnaire).where(Questionnaire.token == token))


def open_questionnaire(edition: Edition, *, by: User, now: datetime) -> Questionnaire:
    """Open the edition's questionnaire, or open again a closed one (same link, answers kept)."""
    questionnaire = for_edition(edition)
    if questionnaire is None:
        questionnaire = Questionnaire(edition_id=edition.id, token=secrets.token_urlsafe(24), opened_at=now,
                                      opened_by_id=by.id, status=QuestionnaireStatus.OPEN)
        db.session.add(questionnaire)
        db.session.flush()
        return questionnaire
    # Compare-and-set: two admins clicking together do not both reopen it.
    if not claim(questionnaire, "status", QuestionnaireStatus.CLOSED, QuestionnaireStatus.OPEN):
        raise ConflictError(_("Le questionnaire de cette édition est déjà ouvert."))
    questionnaire.closed_at = None
    db.session.flush()
    return questionnaire


def close_questionnaire(questionnaire: Questionnaire, *, now: datetime) -> None:
    if not claim(questionnaire, "status", QuestionnaireStatus.OPEN, QuestionnaireStatus.CLOSED):
        raise ConflictError(_("Ce questionnaire est déjà fermé."))
    questionnaire.closed_at = now
    db.session.flush()


def browser_hash(questionnaire: Questionnaire, cookie: str, secret: str) -> str:
    return hmac.new(secret.encode(), f"{questionnaire.id}:{cookie}".encode(), hashlib.sha256).hexdigest()


def has_answered(questionnaire: Questionnaire, digest: str) -> bool:
    return db.session.scalar(sa.select(sa.func.count()).select_from(FeedbackAnswer).where(
        FeedbackAnswer.questionnaire_id == questionnaire.id, FeedbackAnswer.browser_hash == digest)) > 0


def _cleaned(data: AnswerData) -> dict:
    fields = {}
    for question in QUESTIONS:
        value = data.choices.get(question.key) or ""
        if value not in question.values:
            raise FeedbackError(_("Choisissez une réponse à la question « %(question)s ».", question=question.label),
                                question.key)
        fields[question.key] = value
    comment = COMMENT.clean(data.comment)
    # Nothing to publish without a comment: the consent is kept only with what it is about.
    return {**fields, "comment": comment, "is_publishable": bool(comment) and data.is_publishable}


def _closed() -> str:
    return _("Ce questionnaire est fermé : il n'accepte plus de réponses. Merci de votre intérêt !")


def _already_answered() -> str:
    return _("Vous avez déjà répondu à ce questionnaire depuis ce navigateur : une seule réponse par personne. "
             "Merci !")


def answer(questionnaire: Questionnaire, data: AnswerData, *, digest: str, now: datetime) -> None:
    """Record one answer. Refused: a closed questionnaire (410), a browser that has answered
    already (409), an incomplete or invalid answer (422)."""
    if not questionnaire.is_open:
        raise QuestionnaireClosed(_closed())
    fields = _cleaned(data)
    if has_answered(questionnaire, digest):
        raise AlreadyAnswered(_already_answered())
    # An UPDATE that changes nothing but locks the questionnaire's row until this answer commits:
    # an admin closing it at the same moment comes strictly before (refused here) or after.
    if not claim(questionnaire, "status", QuestionnaireStatus.OPEN, QuestionnaireStatus.OPEN):
        raise QuestionnaireClosed(_closed())
    row = {"questionnaire_id": questionnaire.id, "browser_hash": digest, "created_at": now, **fields}
    # Two tabs posting together: the unique (questionnaire, browser) pair lets one in, the other
    # inserts nothing, without an IntegrityError that would poison the request's session.
    if not insert_or_ignore(FeedbackAnswer.__table__, [row], ["questionnaire_id", "browser_hash"]):
        raise AlreadyAnswered(_already_answered())
