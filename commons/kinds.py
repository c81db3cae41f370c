"""The six kinds of outcome a workshop produces. A closed set: an enum, not a table.

Shared vocabulary: a workshop's guiding questions (editions) and its entries both speak it,
so it sits below both domains.
"""
from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l


class EntryKind(enum.Enum):
    VALEUR = "valeur"
    SAVOIR = "savoir"
    PRATIQUE = "pratique"
    PREREQUIS = "prerequis"
    MOYEN = "moyen"
    ACTION = "action"

    @property
    def label(self) -> str:
        return str(_KIND_TEXT[self][0])

    @property
    def plural(self) -> str:
        return str(_KIND_TEXT[self][1])

    @property
    def description(self) -> str:
        return str(_KIND_TEXT[self][2])

    @property
    def is_action(self) -> bool:
        """Actions are followed from one edition to the next (status, owner, realisation)."""
        return self is EntryKind.ACTION

    @classmethod
    def from_value(cls, value: str | None) -> EntryKind | None:
        try:
            return cls(value)
        except ValueError:
            return None


_KIND_TEXT = {
    EntryKind.VALEUR: (
        _l("Valeur"), _l("Valeurs"),
        _l("Ce qui guide la posture des médiateurs et médiatrices : les principes partagés "
           "par la profession, comme l'accueil inconditionnel ou l'écoute bienveillante."),
    ),
    EntryKind.SAVOIR: (
        _l("Savoir"), _l("Savoirs"),
        _l("Les connaissances et compétences que le métier mobilise : bases informatiques, "
           "connaissance du territoire, pédagogie…"),
    ),
    EntryKind.PRATIQUE: (
        _l("Pratique"), _l("Pratiques"),
        _l("Les gestes professionnels du quotidien : animer, diagnostiquer, faire réseau, "
           "tenir une veille."),
    ),
    EntryKind.PREREQUIS: (
        _l("Prérequis"), _l("Prérequis"),
        _l("Ce qui doit exister avant d'agir ensemble : connaissance mutuelle, objectifs et "
           "langage communs, confiance."),
    ),
    EntryKind.MOYEN: (
        _l("Moyen"), _l("Moyens"),
        _l("Les ressources, relais et leviers mobilisables : outils, partenaires, dispositifs, "
           "calendriers."),
    ),
    EntryKind.ACTION: (
        _l("Action"), _l("Actions"),
        _l("Ce que l'on décide de faire concrètement, à suivre d'une édition à l'autre."),
    ),
}
