"""The questions of the participants' questionnaire, fixed in code as the organisers' "post NEC"
survey asked them (overall satisfaction, organisation, content, would come again, a comment and
whether it may be published).

The 2023 report (shared/seed/nec-sud-ouest-2023-bilan.txt) shows that survey's answers only as
charts, without their wording: the four-point satisfaction scale below (no middle point, so
that a lukewarm answer still leans one way) and the three answers to "would you come again"
are ours. Fixed questions keep every edition's results comparable; a change here is a change
for every questionnaire, past ones included, so a choice's value is never renamed.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

SATISFACTION = (
    ("tres_satisfait", _l("Très satisfait·e")),
    ("satisfait", _l("Satisfait·e")),
    ("peu_satisfait", _l("Peu satisfait·e")),
    ("pas_satisfait", _l("Pas du tout satisfait·e")),
)
COME_AGAIN = (
    ("oui", _l("Oui")),
    ("peut_etre", _l("Peut-être")),
    ("non", _l("Non")),
)


@dataclass(frozen=True)
class ChoiceQuestion:
    """A question answered by one choice; `key` is also its column on `FeedbackAnswer`."""

    key: str
    label: object
    hint: object
    choices: tuple[tuple[str, object], ...]

    @property
    def values(self) -> frozenset[str]:
        return frozenset(value for value, _label in self.choices)

    def label_of(self, value: str) -> str:
        return str(dict(self.choices)[value])


QUESTIONS = (
    ChoiceQuestion("overall", _l("Dans l'ensemble, êtes-vous satisfait·e de cette édition ?"), "", SATISFACTION),
    ChoiceQuestion("organisation", _l("Êtes-vous satisfait·e de l'organisation ?"),
                   _l("Accueil, lieu, horaires, restauration."), SATISFACTION),
    ChoiceQuestion("content", _l("Êtes-vous satisfait·e du contenu ?"),
                   _l("Ateliers, interventions, thématiques."), SATISFACTION),
    ChoiceQuestion("come_again", _l("Viendriez-vous à la prochaine édition ?"), "", COME_AGAIN),
)
COMMENT_MAX = 2000
