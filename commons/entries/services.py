"""Entry operations. Explicit arguments; they flush but never commit (the view commits once).

Every save appends a `Revision`; a save whose base revision is not the current one raises
`EditConflict` and changes nothing, so no update is ever lost.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from commons.accounts.models import User
from commons.editions.models import Edition, Workshop
from commons.entries.kinds import EntryKind
from commons.entries.models import BODY_MAX, SUMMARY_MAX, TITLE_MAX, Entry, Revision, Tag
from commons.extensions import db
from commons.models import utcnow
from commons.text import clean_text, fold, slugify

TAG_MAX = 80
TAGS_PER_ENTRY_MAX = 30


class EntryError(ValueError):
    """Invalid input; `field` names the form field, the message is French."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class EditConflict(Exception):
    """The entry changed since the editor opened it."""

    def __init__(self, entry: Entry, base_revision: int):
        super().__init__(f"entry {entry.id}: base {base_revision} != current {entry.revision_number}")
        self.entry = entry
        self.base_revision = base_revision


@dataclass(frozen=True)
class EntryContent:
    """What a revision snapshots. Compared to decide whether a save changes anything."""

    kind: EntryKind
    title: str
    body: str
    tags: tuple[str, ...]
    workshop_id: int | None

    @classmethod
    def of_entry(cls, entry: Entry) -> EntryContent:
        return cls(entry.kind, entry.title, entry.body, tuple(entry.tag_names), entry.workshop_id)

    @classmethod
    def of_revision(cls, revision: Revision) -> EntryContent:
        return cls(revision.kind, revision.title, revision.body, tuple(revision.tag_names), revision.workshop_id)


# --- validation -----------------------------------------------------------------------------

def _has_control_chars(value: str) -> bool:
    return any((ord(c) < 32 and c not in "\n\t") or ord(c) == 127 for c in value)


def validate_title(title: str) -> str:
    if _has_control_chars(title):
        raise EntryError("Le titre contient des caractères non autorisés.", "title")
    title = " ".join(clean_text(title).split())
    if not title:
        raise EntryError("Le titre est obligatoire.", "title")
    if len(title) > TITLE_MAX:
        raise EntryError(f"Le titre ne doit pas dépasser {TITLE_MAX} caractères ({len(title)} actuellement).", "title")
    return title


def validate_body(body: str) -> str:
    if "\x00" in body or any(ord(c) < 32 and c not in "\n\t\r" for c in body):
        raise EntryError("Le texte contient des caractères non autorisés (caractère nul ou de contrôle).", "body")
    body = clean_text(body).strip("\n")
    if len(body) > BODY_MAX:
        raise EntryError(f"Le texte ne doit pas dépasser {BODY_MAX:,} caractères ({len(body):,} actuellement).".replace(",", "\u202f"), "body")
    return body


def validate_summary(summary: str | None) -> str:
    summary = " ".join(clean_text(summary or "").split())
    if len(summary) > SUMMARY_MAX:
        raise EntryError(f"Le résumé de modification ne doit pas dépasser {SUMMARY_MAX} caractères.", "summary")
    return summary


def parse_tags(raw: str | list[str]) -> list[str]:
    """Split "a, b; c" into display names, dropping duplicates by their normalised form."""
    parts = raw if isinstance(raw, list) else raw.replace(";", ",").replace("\n", ",").split(",")
    names: dict[str, str] = {}
    for part in parts:
        if _has_control_chars(part):
            raise EntryError("Une étiquette contient des caractères non autorisés.", "tags")
        name = " ".join(clean_text(part).split()).lstrip("#")
        if not name:
            continue
        if len(name) > TAG_MAX:
            raise EntryError(f"Une étiquette ne doit pas dépasser {TAG_MAX} caractères.", "tags")
        slug = tag_slug(name)
        if not slug:
            raise EntryError(f"L'étiquette « {name} » ne contient ni lettre ni chiffre.", "tags")
        names.setdefault(slug, name)
    if len(names) > TAGS_PER_ENTRY_MAX:
        raise EntryError(f"Pas plus de {TAGS_PER_ENTRY_MAX} étiquettes par fiche.", "tags")
    return list(names.values())


def tag_slug(name: str) -> str:
    return slugify(fold(name), TAG_MAX)


# --- tags -------------------------------------------------------------------------------------

def get_or_create_tags(names: list[str]) -> list[Tag]:
    """Tags by normalised identity: "Parentalité numérique" and "parentalite  numerique" are one."""
    wanted = {tag_slug(n): n for n in names}
    if not wanted:
        return []
    existing = {t.slug: t for t in db.session.scalars(sa.select(Tag).where(Tag.slug.in_(wanted)))}
    tags = []
    for slug, name in wanted.items():
        tag = existing.get(slug)
        if tag is None:
            tag = Tag(slug=slug, name=name)
            db.session.add(tag)
        tags.append(tag)
    return sorted(tags, key=lambda t: t.slug)


# --- entries ----------------------------------------------------------------------------------

def _snapshot(entry: Entry, author: User | None, summary: str) -> Revision:
    revision = Revision(
        entry=entry, number=entry.revision_number, author=author, summary=summary, created_at=utcnow(),
        kind=entry.kind, title=entry.title, body=entry.body,
        tags_text="\n".join(entry.tag_names), workshop_id=entry.workshop_id,
    )
    db.session.add(revision)
    return revision


def _check_workshop(edition: Edition, workshop: Workshop | None) -> None:
    if workshop is not None and workshop.edition_id != edition.id:
        raise EntryError("Cet atelier n'appartient pas à l'édition de la fiche.", "workshop")


def create_entry(
    *, edition: Edition, kind: EntryKind, title: str, body: str = "", tags: list[str] | str = (),
    workshop: Workshop | None = None, author: User | None = None, parent: Entry | None = None,
    position: int = 0, summary: str = "", created_at=None,
) -> Entry:
    """Create an entry and its first revision."""
    _check_workshop(edition, workshop)
    if parent is not None and parent.edition_id != edition.id:
        raise EntryError("Un sous-élément doit appartenir à la même édition que sa fiche parente.", "parent")
    entry = Entry(
        edition=edition, workshop=workshop, kind=kind, title=validate_title(title), body=validate_body(body),
        parent=parent, position=position, created_by=author, updated_by=author, revision_number=1,
    )
    if created_at is not None:
        entry.created_at = entry.updated_at = created_at
    entry.tags = get_or_create_tags(parse_tags(list(tags) if not isinstance(tags, str) else tags))
    db.session.add(entry)
    revision = _snapshot(entry, author, validate_summary(summary) or "Création de la fiche")
    if created_at is not None:
        revision.created_at = created_at
    db.session.flush()
    return entry


def revise_entry(
    entry: Entry, *, base_revision: int, author: User | None, kind: EntryKind, title: str, body: str,
    tags: list[str] | str, workshop: Workshop | None, summary: str = "",
) -> Revision | None:
    """Save new content on top of `base_revision`.

    Returns the new revision, or None when nothing changed. Raises `EditConflict` when the
    entry moved on since `base_revision`, before touching anything.
    """
    if base_revision != entry.revision_number:
        raise EditConflict(entry, base_revision)
    _check_workshop(entry.edition, workshop)
    new = EntryContent(
        kind, validate_title(title), validate_body(body),
        tuple(t.name for t in get_or_create_tags(parse_tags(tags))) if tags else (), workshop.id if workshop else None,
    )
    summary = validate_summary(summary)
    if new == EntryContent.of_entry(entry):
        return None
    return _apply(entry, new, author, summary)


def _apply(entry: Entry, content: EntryContent, author: User | None, summary: str) -> Revision:
    entry.kind = content.kind
    entry.title = content.title
    entry.body = content.body
    entry.tags = get_or_create_tags(list(content.tags))
    entry.workshop_id = content.workshop_id
    entry.updated_by = author
    entry.updated_at = utcnow()
    # The UPDATE carries "WHERE revision_number = <old>": a concurrent save from the same
    # base makes this one fail with StaleDataError instead of overwriting it.
    entry.revision_number = entry.revision_number + 1
    revision = _snapshot(entry, author, summary)
    db.session.flush()
    return revision


def get_revision(entry: Entry, number: int) -> Revision | None:
    return db.session.scalar(sa.select(Revision).where(Revision.entry_id == entry.id, Revision.number == number))


def revert_entry(entry: Entry, *, number: int, base_revision: int, author: User | None) -> Revision | None:
    """Bring back the content of revision `number` as a new revision (history is kept)."""
    if base_revision != entry.revision_number:
        raise EditConflict(entry, base_revision)
    target = get_revision(entry, number)
    if target is None:
        raise EntryError(f"La version {number} n'existe pas.")
    content = EntryContent.of_revision(target)
    if content.workshop_id is not None and db.session.get(Workshop, content.workshop_id) is None:
        content = EntryContent(content.kind, content.title, content.body, content.tags, None)
    if content == EntryContent.of_entry(entry):
        return None
    return _apply(entry, content, author, f"Retour à la version {number}")
