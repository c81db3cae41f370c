"""A questionnaire's results as plain data: for each question, each answer's count and percent.

Plain tuples, no model, so that the results page, the edition report and a command can all
draw them their own way (SVG and table here, text in a report, a PDF later).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa

from commons.extensions import db
from commons.feedback.models import FeedbackAnswer, Questionnaire
from commons.feedback.questions import QUESTIONS

Row = tuple[str, int, int]  # (answer's label, count, whole percent)


@dataclass(frozen=True)
class QuestionResult:
    key: str
    label: str
    rows: list[Row]

    @property
    def total(self) -> int:
        return sum(count for _label, count, _percent in self.rows)


def percents(counts: list[int]) -> list[int]:
    """Whole percents that add up to exactly 100 (largest remainder: the parts rounded down,
    then one more point to the largest remainders, ties to the first listed). All 0 when
    there is nothing to count."""
    total = sum(counts)
    if total == 0:
        return [0] * len(counts)
    exact = [count * 100 / total for count in counts]
    floors = [int(share) for share in exact]
    by_remainder = sorted(range(len(counts)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in by_remainder[: 100 - sum(floors)]:
        floors[i] += 1
    return floors


def results(questionnaire: Questionnaire) -> list[QuestionResult]:
    """Every choice question, in the questionnaire's order, with every answer (0 included)."""
    columns = [getattr(FeedbackAnswer, q.key) for q in QUESTIONS]
    answers = db.session.execute(sa.select(*columns).where(FeedbackAnswer.questionnaire_id == questionnaire.id)).all()
    out = []
    for index, question in enumerate(QUESTIONS):
        tally = Counter(row[index] for row in answers)
        counts = [tally[value] for value, _label in question.choices]
        rows = [(str(label), count, percent)
                for (_value, label), count, percent in zip(question.choices, counts, percents(counts), strict=True)]
        out.append(QuestionResult(question.key, str(question.label), rows))
    return out


def answer_count(questionnaire: Questionnaire) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(FeedbackAnswer)
                             .where(FeedbackAnswer.questionnaire_id == questionnaire.id))


def published_comments(questionnaire: Questionnaire) -> list[str]:
    """The comments whose authors agreed to their publication, oldest first."""
    return list(db.session.scalars(sa.select(FeedbackAnswer.comment).where(
        FeedbackAnswer.questionnaire_id == questionnaire.id, FeedbackAnswer.is_publishable.is_(True),
        FeedbackAnswer.comment != "").order_by(FeedbackAnswer.created_at, FeedbackAnswer.id)))


def unpublished_comments(questionnaire: Questionnaire) -> list[str]:
    """For the admins only: the comments addressed to the organisers alone."""
    return list(db.session.scalars(sa.select(FeedbackAnswer.comment).where(
        FeedbackAnswer.questionnaire_id == questionnaire.id, FeedbackAnswer.is_publishable.is_(False),
        FeedbackAnswer.comment != "").order_by(FeedbackAnswer.created_at, FeedbackAnswer.id)))
