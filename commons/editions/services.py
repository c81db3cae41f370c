"""Administration of editions and their programme: create, edit (renaming included), delete,
and copy another edition's programme with its dates shifted. Explicit arguments; services
flush, never commit; every check runs before the first write.

Other domains keep rows under an edition or a workshop (entries do) and say how many through
the `edition_dependants` and `workshop_dependants` signals, so that an admin is told what a
deletion touches without this package importing them. Renaming keeps every id; deleting a
workshop leaves its entries in the edition; an edition that still holds entries is kept.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from blinker import Namespace
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from commons.database import storable_ids
from commons.editions.models import Edition, GuidingQuestion, Structure, Workshop, WorkshopFormat
from commons.editions.queries import get_edition
from commons.errors import ServiceError
from commons.extensions import db
from commons.kinds import EntryKind
from commons.text import slugify
from commons.validation import TextRule

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
YEAR_MIN, YEAR_MAX = 1990, 2100

_signals = Namespace()
# Receivers get the edition (or workshop) and return how many of their rows hang off it.
edition_dependants = _signals.signal("edition-dependants")
# Receivers get the workshop about to be deleted, detach their rows and return how many.
workshop_dependants = _signals.signal("workshop-dependants")


class EditionError(ServiceError):
    """A refused change to an edition or its programme."""


def _rule(label, max_length: int, field: str, **kwargs) -> TextRule:
    return TextRule(label, max_length, field, error=EditionError, **kwargs)


EDITION_NAME = _rule(_l("Le nom de l'édition"), 200, "name", required=_l("Le nom de l'édition est obligatoire."))
PLACE = _rule(_l("Le lieu"), 200, "place")
VENUE = _rule(_l("La salle"), 200, "venue")
DESCRIPTION = _rule(_l("La présentation"), 100_000, "description", is_multiline=True)
WORKSHOP_TITLE = _rule(_l("Le titre de l'atelier"), 300, "title",
                       required=_l("Le titre de l'atelier est obligatoire."))
ROOM = _rule(_l("La salle"), 120, "room")
AXIS = _rule(_l("L'axe"), 200, "axis")
QUESTIONS = _rule(_l("Les questions directrices"), 5000, "questions", is_multiline=True)
QUESTION = _rule(_l("Une question"), 300, "questions", shows_length=False)
SLUG_TEXT = _rule(_l("L'identifiant d'adresse"), 160, "slug")


def count_dependants(signal, obj) -> int:
    return sum(count for _receiver, count in signal.send(obj))


# --- editions ---------------------------------------------------------------------------------

@dataclass
class EditionData:
    name: str
    slug: str
    year: int
    place: str = ""
    venue: str = ""
    starts_on: date | None = None
    ends_on: date | None = None
    description: str = ""
    is_illustrative: bool = False


def _check_slug(slug: str, max_length: int) -> str:
    if not SLUG_RE.match(slug) or len(slug) > max_length:
        raise EditionError(_("L'identifiant d'adresse ne contient que des minuscules sans accent, des chiffres "
                             "et des tirets (%(max)d caractères au plus).", max=max_length), "slug")
    return slug


def _validate_edition(data: EditionData, edition: Edition | None) -> EditionData:
    name = EDITION_NAME.clean(data.name)
    slug = _check_slug(SLUG_TEXT.clean(data.slug) or slugify(name, 120), 120)
    if not YEAR_MIN <= data.year <= YEAR_MAX:
        raise EditionError(_("L'année doit être comprise entre %(min)d et %(max)d.", min=YEAR_MIN, max=YEAR_MAX),
                           "year")
    if data.starts_on and data.ends_on and data.ends_on < data.starts_on:
        raise EditionError(_("La date de fin précède la date de début."), "ends_on")
    if data.starts_on and data.starts_on.year != data.year:
        raise EditionError(_("La date de début n'est pas dans l'année de l'édition."), "starts_on")
    clash = get_edition(slug)
    if clash is not None and clash is not edition:
        raise EditionError(_("L'identifiant « %(slug)s » est déjà pris par %(name)s.",
                             slug=slug, name=clash.name), "slug")
    return EditionData(name, slug, data.year, PLACE.clean(data.place), VENUE.clean(data.venue), data.starts_on,
                       data.ends_on, DESCRIPTION.clean(data.description), bool(data.is_illustrative))


def _assign(edition: Edition, data: EditionData) -> None:
    for item in fields(data):
        setattr(edition, item.name, getattr(data, item.name))


def create_edition(data: EditionData) -> Edition:
    clean = _validate_edition(data, None)
    edition = Edition()
    _assign(edition, clean)
    db.session.add(edition)
    db.session.flush()
    return edition


def update_edition(edition: Edition, data: EditionData) -> Edition:
    """Renaming changes the name and slug only; the id that entries and links point to stays."""
    _assign(edition, _validate_edition(data, edition))
    db.session.flush()
    return edition


def delete_edition(edition: Edition) -> None:
    count = count_dependants(edition_dependants, edition)
    if count:
        raise EditionError(_("%(name)s contient %(count)d fiche(s) : elle ne peut pas être supprimée, sinon ces "
                             "fiches et leur filiation seraient perdues. Déplacez ou supprimez ses fiches d'abord.",
                             name=edition.name, count=count))
    db.session.delete(edition)
    db.session.flush()


# --- programme --------------------------------------------------------------------------------

@dataclass
class WorkshopData:
    title: str
    slug: str = ""
    format: WorkshopFormat = WorkshopFormat.ATELIER
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    room: str = ""
    axis: str = ""
    description: str = ""
    questions: tuple[tuple[str, EntryKind | None], ...] = ()
    structure_ids: tuple[int, ...] = ()


def parse_questions(text: str) -> tuple[tuple[str, EntryKind | None], ...]:
    """One question per line; a question naming a kind ("Quels moyens ?") is tied to it."""
    questions = (QUESTION.clean(line) for line in QUESTIONS.clean(text).splitlines())
    return tuple((question, guess_kind(question)) for question in questions if question)


def guess_kind(question: str) -> EntryKind | None:
    folded = slugify(question)
    for kind in EntryKind:
        if kind.value in folded or slugify(kind.plural) in folded:
            return kind
    return None


def _structures(ids: tuple[int, ...]) -> list[Structure]:
    if not ids:
        return []
    found = db.session.scalars(sa.select(Structure).where(Structure.id.in_(storable_ids(ids)))).all()
    if len(found) != len(set(ids)):
        raise EditionError(_("Une des structures choisies n'existe plus."), "structures")
    return list(found)


def save_workshop(edition: Edition, data: WorkshopData, workshop: Workshop | None = None) -> Workshop:
    title = WORKSHOP_TITLE.clean(data.title)
    slug = _check_slug(SLUG_TEXT.clean(data.slug) or slugify(title, 160), 160)
    clash = db.session.scalar(sa.select(Workshop).where(Workshop.edition_id == edition.id, Workshop.slug == slug))
    if clash is not None and clash is not workshop:
        raise EditionError(_("Un autre atelier de cette édition a déjà l'identifiant « %(slug)s ».", slug=slug),
                           "slug")
    if data.starts_at and data.ends_at and data.ends_at < data.starts_at:
        raise EditionError(_("L'heure de fin précède l'heure de début."), "ends_at")
    room, axis, description = ROOM.clean(data.room), AXIS.clean(data.axis), DESCRIPTION.clean(data.description)
    structures = _structures(data.structure_ids)
    if workshop is None:
        workshop = Workshop(edition=edition)
        db.session.add(workshop)
    workshop.title, workshop.slug, workshop.format = title, slug, data.format
    workshop.starts_at, workshop.ends_at = data.starts_at, data.ends_at
    workshop.room, workshop.axis, workshop.description = room, axis, description
    workshop.structures = structures
    workshop.questions = [GuidingQuestion(position=i, text=text, kind=kind)
                          for i, (text, kind) in enumerate(data.questions)]
    db.session.flush()
    return workshop


def delete_workshop(workshop: Workshop) -> int:
    """Remove a session; the rows other domains keep under it stay in the edition without it.
    Returns how many were detached."""
    detached = count_dependants(workshop_dependants, workshop)
    db.session.delete(workshop)
    db.session.flush()
    return detached


def programme_shift(source: Edition, target: Edition) -> timedelta:
    if source.starts_on is None or target.starts_on is None:
        raise EditionError(_("Indiquez la date de début des deux éditions : elle sert à décaler les horaires."),
                           "source")
    return target.starts_on - source.starts_on


def copy_programme(source: Edition, target: Edition) -> tuple[int, int]:
    """Copy workshops, rooms, guiding questions and structures, dates shifted. Returns (copied, skipped).

    A workshop whose slug already exists in the target is skipped, so copying twice adds nothing.
    """
    if source.id == target.id:
        raise EditionError(_("Choisissez une autre édition que celle-ci comme modèle."), "source")
    shift = programme_shift(source, target)
    existing = set(db.session.scalars(sa.select(Workshop.slug).where(Workshop.edition_id == target.id)))
    copied = skipped = 0
    for old in source.workshops:
        if old.slug in existing:
            skipped += 1
            continue
        db.session.add(Workshop(
            edition=target, slug=old.slug, title=old.title, format=old.format,
            starts_at=old.starts_at + shift if old.starts_at else None,
            ends_at=old.ends_at + shift if old.ends_at else None,
            room=old.room, axis=old.axis, description=old.description, report="",
            structures=list(old.structures),
            questions=[GuidingQuestion(position=q.position, text=q.text, kind=q.kind) for q in old.questions],
        ))
        copied += 1
    db.session.flush()
    return copied, skipped
