"""Administration of editions and their programme: create, edit (renaming included), delete,
and copy the previous edition's programme with dates shifted.

Entries reference their edition with ON DELETE RESTRICT and their workshop with SET NULL, and
lineage links join entries, never editions or workshops: renaming keeps every id, deleting a
workshop leaves its entries in the edition, and an edition that still holds entries is not deleted.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from commons.database import storable_ids
from commons.editions.models import Edition, GuidingQuestion, Structure, Workshop, WorkshopFormat
from commons.entries.kinds import EntryKind
from commons.entries.models import Entry
from commons.extensions import db
from commons.lineage.services import LineageError
from commons.text import clean_text, slugify

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


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


def _line(value: str | None) -> str:
    return " ".join(clean_text(value or "").split())


def _check_slug(slug: str, field: str = "slug") -> str:
    if not SLUG_RE.match(slug) or len(slug) > 120:
        raise LineageError(_("L'identifiant d'adresse ne contient que des minuscules sans accent, des chiffres "
                             "et des tirets (120 caractères au plus)."), field)
    return slug


def _validate_edition(data: EditionData, edition: Edition | None) -> EditionData:
    name = _line(data.name)
    if not name:
        raise LineageError(_("Le nom de l'édition est obligatoire."), "name")
    if len(name) > 200:
        raise LineageError(_("Le nom ne doit pas dépasser 200 caractères."), "name")
    slug = _check_slug(_line(data.slug) or slugify(name, 120))
    if not 1990 <= data.year <= 2100:
        raise LineageError(_("L'année doit être comprise entre 1990 et 2100."), "year")
    if data.starts_on and data.ends_on and data.ends_on < data.starts_on:
        raise LineageError(_("La date de fin précède la date de début."), "ends_on")
    if data.starts_on and data.starts_on.year != data.year:
        raise LineageError(_("La date de début n'est pas dans l'année de l'édition."), "starts_on")
    clash = db.session.scalar(sa.select(Edition).where(Edition.slug == slug))
    if clash is not None and clash is not edition:
        raise LineageError(_("L'identifiant « %(slug)s » est déjà pris par %(name)s.",
                             slug=slug, name=clash.name), "slug")
    return EditionData(name, slug, data.year, _line(data.place)[:200], _line(data.venue)[:200], data.starts_on,
                       data.ends_on, clean_text(data.description or "").strip(), bool(data.is_illustrative))


def create_edition(data: EditionData) -> Edition:
    clean = _validate_edition(data, None)
    edition = Edition(**clean.__dict__)
    db.session.add(edition)
    db.session.flush()
    return edition


def update_edition(edition: Edition, data: EditionData) -> Edition:
    """Renaming changes the name and slug only; the id that entries and links point to stays."""
    clean = _validate_edition(data, edition)
    for key, value in clean.__dict__.items():
        setattr(edition, key, value)
    db.session.flush()
    return edition


def entry_count(edition: Edition) -> int:
    return db.session.scalar(sa.select(sa.func.count(Entry.id)).where(Entry.edition_id == edition.id)) or 0


def delete_edition(edition: Edition) -> None:
    count = entry_count(edition)
    if count:
        raise LineageError(_("%(name)s contient %(count)d fiche(s) : elle ne peut pas être supprimée, sinon ces "
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
    questions = []
    for raw in (text or "").splitlines():
        line = _line(raw)
        if not line:
            continue
        if len(line) > 300:
            raise LineageError(_("Une question ne doit pas dépasser 300 caractères."), "questions")
        questions.append((line, guess_kind(line)))
    return tuple(questions)


def guess_kind(question: str) -> EntryKind | None:
    folded = slugify(question)
    for kind in EntryKind:
        if kind.value in folded or slugify(kind.plural) in folded:
            return kind
    return None


def save_workshop(edition: Edition, data: WorkshopData, workshop: Workshop | None = None) -> Workshop:
    title = _line(data.title)
    if not title:
        raise LineageError(_("Le titre de l'atelier est obligatoire."), "title")
    if len(title) > 300:
        raise LineageError(_("Le titre ne doit pas dépasser 300 caractères."), "title")
    slug = _check_slug(_line(data.slug) or slugify(title, 160)[:160])
    clash = db.session.scalar(sa.select(Workshop).where(Workshop.edition_id == edition.id, Workshop.slug == slug))
    if clash is not None and clash is not workshop:
        raise LineageError(_("Un autre atelier de cette édition a déjà l'identifiant « %(slug)s ».", slug=slug), "slug")
    if data.starts_at and data.ends_at and data.ends_at < data.starts_at:
        raise LineageError(_("L'heure de fin précède l'heure de début."), "ends_at")
    structures = []
    if data.structure_ids:
        structures = db.session.scalars(sa.select(Structure).where(
            Structure.id.in_(storable_ids(data.structure_ids)))).all()
        if len(structures) != len(set(data.structure_ids)):
            raise LineageError(_("Une des structures choisies n'existe plus."), "structures")
    if workshop is None:
        workshop = Workshop(edition=edition)
        db.session.add(workshop)
    workshop.title, workshop.slug, workshop.format = title, slug, data.format
    workshop.starts_at, workshop.ends_at = data.starts_at, data.ends_at
    workshop.room, workshop.axis = _line(data.room)[:120], _line(data.axis)[:200]
    workshop.description = clean_text(data.description or "").strip()
    workshop.structures = list(structures)
    workshop.questions = [GuidingQuestion(position=i, text=text, kind=kind)
                          for i, (text, kind) in enumerate(data.questions)]
    db.session.flush()
    return workshop


def delete_workshop(workshop: Workshop) -> int:
    """Remove a session; its entries stay in the edition without a workshop. Returns how many."""
    detached = db.session.scalar(sa.select(sa.func.count(Entry.id)).where(Entry.workshop_id == workshop.id)) or 0
    # Done explicitly rather than left to ON DELETE SET NULL so that entries already loaded
    # in this session agree with the database.
    db.session.execute(sa.update(Entry).where(Entry.workshop_id == workshop.id).values(workshop_id=None)
                       .execution_options(synchronize_session=False))
    db.session.delete(workshop)
    db.session.flush()
    db.session.expire_all()
    return detached


def programme_shift(source: Edition, target: Edition) -> timedelta:
    if source.starts_on is None or target.starts_on is None:
        raise LineageError(_("Indiquez la date de début des deux éditions : elle sert à décaler les horaires."),
                           "source")
    return target.starts_on - source.starts_on


def copy_programme(source: Edition, target: Edition) -> tuple[int, int]:
    """Copy workshops, rooms, guiding questions and structures, dates shifted. Returns (copied, skipped).

    A workshop whose slug already exists in the target is skipped, so copying twice adds nothing.
    """
    if source.id == target.id:
        raise LineageError(_("Choisissez une autre édition que celle-ci comme modèle."), "source")
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
