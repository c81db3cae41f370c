"""The illustrative NEC Sud-Ouest 2024 edition: what lineage looks like one year on.

The 2023 report says the work of "Les communs de la médiation numérique" "sera prolongé
jusqu'au NEC Sud-Ouest 2024". No report of 2024 is in the repository, so this edition is
invented (is_illustrative=True, said so on every page) and built through the same services a
facilitator uses: the 2023 programme copied with dates shifted, the values of the communs
workshop and the actions of the school workshop carried, then one decision of every kind.
No personal names: decisions are recorded without an author ("équipe d'animation").

Idempotent (nothing happens when the 2024 edition exists) and flush-only.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa

from commons.editions.models import Edition, Structure, Workshop
from commons.editions.queries import get_edition
from commons.editions.services import copy_programme
from commons.entries.models import Entry
from commons.entries.services import create_entry
from commons.extensions import db
from commons.kinds import EntryKind
from commons.lineage import decisions
from commons.lineage.models import ActionStatus, LineageLink
from commons.lineage.services import carry_entries, followup_of, select_sources
from commons.text import fold

SLUG_2023 = "nec-sud-ouest-2023"
SLUG_2024 = "nec-sud-ouest-2024"
COMMONS = ("les-communs-de-la-mediation-numerique", "Les communs de la médiation numérique")
SCHOOL = ("passerelles-mediation-numerique-ecole", "Quelles passerelles entre la médiation numérique et l'école")
# Naive UTC, like every stored datetime: 9h and 11h30 in Pau.
CARRIED_AT = datetime(2024, 5, 20, 7, 0)
DECIDED_AT = datetime(2024, 6, 5, 9, 30)

EDITION = {
    "slug": SLUG_2024, "name": "NEC Sud-Ouest 2024", "year": 2024,
    "place": "Pau (Pyrénées-Atlantiques)", "venue": "Lieu à confirmer",
    "starts_on": date(2024, 6, 4), "ends_on": date(2024, 6, 5), "is_illustrative": True,
    "description": (
        "**Édition d'illustration.** Cette édition n'est pas tirée d'un bilan réel : elle a été "
        "imaginée pour montrer comment les communs identifiés au NEC Sud-Ouest 2023 sont repris, "
        "reformulés, fusionnés, scindés, abandonnés ou réalisés d'une édition à l'autre.\n\n"
        "Le bilan 2023 annonçait que le travail de l'atelier « Les communs de la médiation numérique » "
        "serait prolongé jusqu'au NEC Sud-Ouest 2024 : voici à quoi ce prolongement pourrait ressembler."
    ),
}

# Decisions on the carried values of the communs workshop, by 2023 title.
VALUES_KEPT = ["Accueil inconditionnel", "Transmettre des savoirs, des compétences", "Vulgariser"]
VALUES_REWORDED = {
    "Favoriser l'inclusion sociale via l'inclusion numérique": (
        "Favoriser l'inclusion sociale par l'inclusion numérique",
        "Le numérique n'est pas une fin : l'accompagnement vise la place de chacun dans la société."),
    "Veille professionnelle : curiosité, étendre sa culture numérique": (
        "Curiosité et veille professionnelle : étendre sa culture numérique", ""),
}
VALUES_MERGED = (["Écoute et bienveillance", "Posture de neutralité"],
                 "Écoute bienveillante et posture de neutralité")
VALUES_SPLIT = ("Accompagner à l'autonomie et l'encapacitation",
                ["Accompagner vers l'autonomie", "Favoriser l'encapacitation (le pouvoir d'agir)"])
VALUES_DROPPED = ("Travailler en réseaux : entraide, partage et solidarité",
                  "Relève des pratiques plus que des valeurs : rejoint la pratique « Échanger, faire réseau ».")

# Decisions on the carried actions of the school workshop.
ACTION_REALISED = ("Demi-journée CnFS : présenter les actions",
                   "Demi-journée de présentation des actions des conseillers numériques aux équipes "
                   "éducatives tenue au printemps 2024 (donnée d'illustration).")
ACTION_KEPT = "Rapprocher les fablabs et les écoles"
ACTION_REWORDED = ("Créer des trousses à projet",
                   "Créer des trousses à projet numérique prêtes à l'emploi pour les écoles")
ACTIONS_MERGED = (["S'appuyer sur les réseaux d'inclusion numérique",
                   "S'appuyer sur les fédérations et associations de parents d'élèves"],
                  "S'appuyer sur les réseaux d'inclusion numérique et les associations de parents d'élèves")
FOLLOW_UPS = {  # 2024 title → (status, owner structure slug)
    ACTION_KEPT: (ActionStatus.IN_PROGRESS, "la-fibre64"),
    ACTION_REWORDED[1]: (ActionStatus.IN_PROGRESS, "alpi"),
    ACTIONS_MERGED[1]: (ActionStatus.PROPOSED, "cnfs-landes-pyrenees-atlantiques"),
    ACTION_REALISED[0]: (ActionStatus.DONE, "cnfs-landes-pyrenees-atlantiques"),
}

# New outcomes of 2024 (workshop, kind, title, body, tags).
NEW_ENTRIES = [
    (COMMONS, EntryKind.VALEUR, "Sobriété numérique",
     "Accompagner des usages du numérique attentifs à leur coût écologique.", ["numérique responsable"]),
    (COMMONS, EntryKind.PRATIQUE, "Documenter ses ateliers pour les partager en communs",
     "Publier déroulés et supports sous licence libre pour que d'autres médiateurs les reprennent.",
     ["ressources", "communs"]),
    (SCHOOL, EntryKind.ACTION, "Organiser une rencontre annuelle entre médiateurs numériques et enseignants",
     "Un temps d'échange par bassin scolaire, préparé avec la circonscription.", ["école", "coopération"]),
]
NEW_FOLLOW_UP = (ActionStatus.PROPOSED, "education-nationale-dsden")


def _workshop(edition: Edition, ref: tuple[str, str]) -> Workshop | None:
    slug, title = ref
    for workshop in edition.workshops:
        if workshop.slug == slug or fold(workshop.title).rstrip(" ?") == fold(title).rstrip(" ?"):
            return workshop
    return None


def _by_title(entries: list[Entry], title: str) -> Entry:
    wanted = fold(title)
    for entry in entries:
        if fold(entry.title) == wanted:
            return entry
    raise LookupError(f"2024 demo: 2023 entry « {title} » not found")


def _structure(slug: str) -> Structure | None:
    return db.session.scalar(sa.select(Structure).where(Structure.slug == slug))


def load_2024() -> bool:
    """Load the 2024 demo on top of 2023; return True when something was added."""
    if get_edition(SLUG_2024) is not None:
        return False
    e23 = get_edition(SLUG_2023)
    if e23 is None:
        return False
    communs23, school23 = _workshop(e23, COMMONS), _workshop(e23, SCHOOL)
    if communs23 is None or school23 is None:
        return False

    e24 = Edition(**EDITION, organisers=list(e23.organisers))
    db.session.add(e24)
    db.session.flush()
    copy_programme(e23, e24)
    communs24, school24 = _workshop(e24, COMMONS), _workshop(e24, SCHOOL)

    values = carry_entries(select_sources(communs23, kind=EntryKind.VALEUR), target=communs24, author=None,
                           at=CARRIED_AT)
    actions = carry_entries(select_sources(school23, kind=EntryKind.ACTION), target=school24, author=None,
                            at=CARRIED_AT)
    _decide_values(values)
    _decide_actions(actions)
    _add_new_entries(e24, {COMMONS: communs24, SCHOOL: school24})
    db.session.flush()
    return True


def _link(links: list[LineageLink], title: str) -> LineageLink:
    source = _by_title([link.source for link in links], title)
    return next(link for link in links if link.source is source)


def _tick(step: int) -> datetime:
    return DECIDED_AT + timedelta(minutes=2 * step)


def _decide_values(links: list[LineageLink]) -> None:
    step = 0
    for title in VALUES_KEPT:
        decisions.keep(_link(links, title), actor=None, at=_tick(step))
        step += 1
    for title, (new_title, body) in VALUES_REWORDED.items():
        link = _link(links, title)
        decisions.reword(link, actor=None, title=new_title, body=body or link.target.body,
                         base_revision=link.target.revision_number, at=_tick(step))
        step += 1
    merged, merged_title = VALUES_MERGED
    decisions.merge([_link(links, t) for t in merged], actor=None, title=merged_title, at=_tick(step))
    split_title, parts = VALUES_SPLIT
    decisions.split(_link(links, split_title), actor=None, titles=parts, at=_tick(step + 1))
    dropped, reason = VALUES_DROPPED
    decisions.drop(_link(links, dropped), actor=None, reason=reason, at=_tick(step + 2))


def _decide_actions(links: list[LineageLink]) -> None:
    title, evidence = ACTION_REALISED
    decisions.realise(_link(links, title), actor=None, evidence=evidence, at=_tick(20))
    decisions.keep(_link(links, ACTION_KEPT), actor=None, at=_tick(21))
    link = _link(links, ACTION_REWORDED[0])
    decisions.reword(link, actor=None, title=ACTION_REWORDED[1], body=link.target.body,
                     base_revision=link.target.revision_number, at=_tick(22))
    merged, merged_title = ACTIONS_MERGED
    keeper = decisions.merge([_link(links, t) for t in merged], actor=None, title=merged_title, at=_tick(23))
    for entry in {link.target for link in links} | {keeper}:
        plan = FOLLOW_UPS.get(entry.title)
        row = followup_of(entry)
        if plan and row is not None:
            row.status, owner = plan[0], _structure(plan[1])
            row.owner_structure_id = owner.id if owner else None


def _add_new_entries(e24: Edition, workshops: dict) -> None:
    for position, (ref, kind, title, body, tags) in enumerate(NEW_ENTRIES):
        entry = create_entry(edition=e24, kind=kind, title=title, body=body, tags=tags, workshop=workshops[ref],
                             author=None, position=100 + position, summary="Saisie pendant l'atelier",
                             created_at=_tick(30 + position))
        decisions.declare_new(entry, actor=None, at=_tick(30 + position))
        if kind is EntryKind.ACTION:
            row = followup_of(entry)
            owner = _structure(NEW_FOLLOW_UP[1])
            row.status, row.owner_structure_id = NEW_FOLLOW_UP[0], owner.id if owner else None
