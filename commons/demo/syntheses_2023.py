"""The published syntheses (version 1) of the two 2023 workshops whose outcomes the report lists.

Texts are written from the report (nec-sud-ouest-2023-bilan.txt): organisations only, no
personal names. The arrangement is the default one (by kind, every entry included), so each
item is the entry as imported. A workshop that already has a synthesis is left alone:
loading twice publishes nothing more.
"""
from __future__ import annotations

import sqlalchemy as sa

from commons.demo.loader import IMPORTED_AT_2023
from commons.editions.models import Workshop
from commons.editions.queries import get_edition
from commons.extensions import db
from commons.syntheses.models import Synthesis, SynthesisVersion
from commons.syntheses.services import draft_sections, publish, save_draft

EDITION = "nec-sud-ouest-2023"
TEXTS = {
    "les-communs-de-la-mediation-numerique": (
        "Animé par des conseillers et conseillères numériques France Services des Landes et des "
        "Pyrénées-Atlantiques, l'atelier a proposé aux médiateurs et médiatrices numériques des deux "
        "départements d'identifier ensemble les communs partagés par les professionnels du secteur.\n\n"
        "Le travail s'est organisé autour de trois thèmes : **les valeurs**, **les savoirs** et "
        "**les pratiques** de la médiation numérique.",
        "Cet atelier se veut le commencement d'un travail prolongé jusqu'au NEC Sud-Ouest 2024, qui vise "
        "l'émergence d'une communauté de médiateurs et médiatrices numériques du Sud-Ouest. Les communs "
        "proposés ici sont le point de départ de l'édition suivante.",
    ),
    "passerelles-mediation-numerique-ecole": (
        "La formation aux outils numériques apparaît comme une nécessité, dès le plus jeune âge ; il n'est "
        "pourtant pas toujours aisé de mettre en place des actions en milieu scolaire. En s'appuyant sur les "
        "retours d'expérience d'acteurs de l'éducation au numérique et sur la stratégie du numérique "
        "2023-2027 de l'Éducation nationale, l'atelier a cherché les bonnes pratiques.\n\n"
        "Les participants ont travaillé en trois sous-groupes autour de trois questions : quels prérequis, "
        "quels moyens, quelles actions pour une meilleure collaboration entre médiation numérique et école ?",
        "Ressources partagées : la stratégie numérique 2023-2027 de l'Éducation nationale, sa déclinaison "
        "landaise et les ressources de l'Éducation nationale sur la parentalité numérique. Les actions "
        "proposées s'appuient sur les réseaux d'inclusion numérique, les fablabs et les associations de "
        "parents d'élèves.",
    ),
}


def _publish_one(workshop: Workshop, intro: str, conclusion: str) -> None:
    arrangement = {"sections": [
        {"title": s.title, "items": [{"entry_id": i.entry.id, "included": True, "comment": ""} for i in s.items]}
        for s in draft_sections(workshop, None)]}
    save_draft(workshop, None, intro=intro, conclusion=conclusion, arrangement=arrangement, base=0)
    version = publish(workshop, None)
    # Dated like the imported entries (the report's date), so that every load is identical.
    version.published_at = version.synthesis.updated_at = IMPORTED_AT_2023


def load_syntheses_2023() -> bool:
    """Publish the missing syntheses; True when one was added. Flushes, never commits."""
    edition = get_edition(EDITION)
    if edition is None:
        return False
    done = set(db.session.scalars(sa.select(Synthesis.workshop_id).join(SynthesisVersion)))
    added = False
    for workshop in edition.workshops:
        if workshop.slug in TEXTS and workshop.id not in done:
            _publish_one(workshop, *TEXTS[workshop.slug])
            added = True
    db.session.flush()
    return added
