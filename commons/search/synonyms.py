"""The synonym list applied at query time (see expand.py): the admins' list, or the defaults.

The sets live in `search_synonyms`, one expression per line. While the table is empty the
shipped defaults (expand.DEFAULT_SYNONYMS) apply; the first change an admin makes writes them
to the table first, so that adding one set never loses the others. Read on every search (a
few rows): a change applies at once, on every worker, without reindexing.

Services flush, never commit: the request's unit of work commits (commons/database.py).
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from commons.errors import ServiceError
from commons.extensions import db
from commons.search.analysis import normalise, words
from commons.search.expand import DEFAULT_SYNONYMS
from commons.search.models import SynonymSet
from commons.validation import TextRule

EXPRESSION_MAX = 100
EXPRESSIONS_MAX = 20


class SynonymError(ServiceError):
    """A synonym set refused, with the reason in French."""


EXPRESSIONS = TextRule(_l("La liste d'expressions"), max_length=EXPRESSIONS_MAX * (EXPRESSION_MAX + 1),
                       field="expressions", is_multiline=True,
                       required=_l("Indiquez au moins deux expressions, une par ligne."), error=SynonymError)


@dataclass(frozen=True)
class Listed:
    """A set as the admin page shows it: `id` None for a shipped default not yet in the table."""

    id: int | None
    expressions: list[str]


def synonym_sets() -> list[list[str]]:
    rows = db.session.scalars(sa.select(SynonymSet.expressions).order_by(SynonymSet.id)).all()
    if not rows:
        return DEFAULT_SYNONYMS
    return [[line for line in text.split("\n") if line] for text in rows]


def listed() -> tuple[list[Listed], bool]:
    """The sets in use, and whether they are the shipped defaults."""
    rows = db.session.scalars(sa.select(SynonymSet).order_by(SynonymSet.id)).all()
    if not rows:
        return [Listed(None, list(expressions)) for expressions in DEFAULT_SYNONYMS], True
    return [Listed(row.id, row.expression_list) for row in rows], False


def parse_expressions(text: str | None) -> list[str]:
    """One expression per line, checked: at least two, each with a searchable word, none twice."""
    lines = [" ".join(line.split()) for line in EXPRESSIONS.clean(text).split("\n")]
    expressions = [line for line in lines if line]
    if len(expressions) < 2:
        raise SynonymError(_("Un ensemble de synonymes relie au moins deux expressions : écrivez-en une "
                             "autre sur une nouvelle ligne."), "expressions")
    if len(expressions) > EXPRESSIONS_MAX:
        raise SynonymError(_("Un ensemble compte au plus %(max)d expressions (%(n)d ici).",
                             max=EXPRESSIONS_MAX, n=len(expressions)), "expressions")
    seen: dict[tuple[str, ...], str] = {}
    for expression in expressions:
        if len(expression) > EXPRESSION_MAX:
            raise SynonymError(_("« %(start)s… » dépasse %(max)d caractères : une expression est courte.",
                                 start=expression[:30], max=EXPRESSION_MAX), "expressions")
        stems = tuple(t for t in (normalise(w) for w in words(expression)) if t)
        if not stems:
            raise SynonymError(_("« %(expression)s » ne contient aucun mot cherchable (seulement des mots "
                                 "vides ou de la ponctuation).", expression=expression), "expressions")
        if stems in seen:
            raise SynonymError(_("« %(a)s » et « %(b)s » sont la même expression pour la recherche.",
                                 a=seen[stems], b=expression), "expressions")
        seen[stems] = expression
    return expressions


def _materialise() -> None:
    """Write the defaults to the table when it is empty, before a change to the list."""
    if db.session.scalar(sa.select(SynonymSet.id).limit(1)) is None:
        db.session.add_all(SynonymSet(expressions="\n".join(e)) for e in DEFAULT_SYNONYMS)
        db.session.flush()


def add_set(text: str | None) -> SynonymSet:
    expressions = parse_expressions(text)
    _materialise()
    row = SynonymSet(expressions="\n".join(expressions))
    db.session.add(row)
    db.session.flush()
    return row


def update_set(row: SynonymSet, text: str | None) -> None:
    row.expressions = "\n".join(parse_expressions(text))
    db.session.flush()


def delete_set(row: SynonymSet) -> None:
    db.session.delete(row)
    db.session.flush()


def restore_defaults() -> None:
    """Replace the list with the shipped defaults, written to the table (editable)."""
    db.session.execute(sa.delete(SynonymSet))
    _materialise()
