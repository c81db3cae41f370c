"""A feedback questionnaire per edition, and the participants' answers to it.

Participants answer without an account: an answer keeps no name and no IP, only a hash of a
random cookie of the browser that sent it (unique per questionnaire: one answer per browser).
"""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from commons.editions.models import Edition
from commons.extensions import db
from commons.models import enum_column, utcnow


class QuestionnaireStatus(enum.Enum):
    OPEN = "open"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return str({QuestionnaireStatus.OPEN: _l("ouvert"), QuestionnaireStatus.CLOSED: _l("fermé")}[self])


class Questionnaire(db.Model):
    """The one questionnaire of an edition; its public link is `/retours/<token>`."""

    __tablename__ = "feedback_questionnaires"

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(sa.ForeignKey("editions.id", ondelete="CASCADE"), unique=True)
    status: Mapped[QuestionnaireStatus] = mapped_column(enum_column(QuestionnaireStatus),
                                                        default=QuestionnaireStatus.OPEN)
    # Random and unguessable: the link is passed on to the participants, and only them.
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    opened_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    # Joined: every page that shows a questionnaire names its edition (no query from a template).
    edition: Mapped[Edition] = relationship(lazy="joined")

    @property
    def is_open(self) -> bool:
        return self.status is QuestionnaireStatus.OPEN


class FeedbackAnswer(db.Model):
    """One participant's answer: one column per choice question (`commons.feedback.questions`)."""

    __tablename__ = "feedback_answers"
    __table_args__ = (sa.UniqueConstraint("questionnaire_id", "browser_hash",
                                          name="uq_feedback_answers_questionnaire_browser"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(
        sa.ForeignKey("feedback_questionnaires.id", ondelete="CASCADE"), index=True)
    overall: Mapped[str] = mapped_column(sa.String(20))
    organisation: Mapped[str] = mapped_column(sa.String(20))
    content: Mapped[str] = mapped_column(sa.String(20))
    come_again: Mapped[str] = mapped_column(sa.String(20))
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    is_publishable: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # HMAC of the browser's random cookie and the questionnaire: the same browser cannot answer
    # twice, and two questionnaires' hashes of one browser cannot be linked.
    browser_hash: Mapped[str] = mapped_column(sa.String(64))
