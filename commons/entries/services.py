"""Entry operations. Explicit arguments; they flush but never commit (the view commits once).

Every save appends a `Revision`; a save whose base revision is not the current one raises
`EditConflict` and changes nothing, so no update is ever lost.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.attributes import flag_modified
from flask_babel import gettext as _

from commons.accounts.models import User
from commons.editions.models import Edition, Workshop
from commons.entries.kinds import EntryKind
from commons.entries.models import BODY_MAX, SUMMARY_MAX, TITLE_MAX, Entry, Revision, Tag
from commons.extensions import db
from commons.models import utcnow
from commons.text import clean_text, fold

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
    return any((ord(c) < 32 and c not in "\n\t\r") or ord(c) == 127 for c in value)


def _has_broken_encoding(value: str) -> bool:
    # Werkzeug decodes malformed UTF-8 to U+FFFD: saving it would silently lose the text.
    return "\ufffd" in value


def validate_title(title: str) -> str:
    if _has_control_chars(title):
        raise EntryError(_("Le titre contient des caractères non autorisés (caractère nul ou de contrôle)."), "title")
    if _has_broken_encoding(title):
        raise EntryError(_("Le titre contient des caractères mal encodés (UTF-8 invalide)."), "title")
    title = " ".join(clean_text(title).split())
    if not title:
        raise EntryError(_("Le titre est obligatoire."), "title")
    if len(title) > TITLE_MAX:
        raise EntryError(_("Le titre ne doit pas dépasser %(max)d caractères (%(n)d actuellement).",
                           max=TITLE_MAX, n=len(title)), "title")
    return title


def validate_body(body: str) -> str:
    if _has_control_chars(body):
        raise EntryError(_("Le texte contient des caractères non autorisés (caractère nul ou de contrôle)."), "body")
    if _has_broken_encoding(body):
        raise EntryError(_("Le texte contient des caractères mal encodés (UTF-8 invalide)."), "body")
    body = clean_text(body).strip("\n")
    if len(body) > BODY_MAX:
        raise EntryError(_("Le texte ne doit pas dépasser %(max)s caractères (%(n)s actuellement).",
                           max=_thousands(BODY_MAX), n=_thousands(len(body))), "body")
    return body


def _thousands(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f")


def validate_summary(summary: str | None) -> str:
    summary = summary or ""
    if _has_broken_encoding(summary):
        raise EntryError(_("Le résumé contient des caractères mal encodés (UTF-8 invalide)."), "summary")
    summary = " ".join(clean_text(summary).split())
    if len(summary) > SUMMARY_MAX:
        raise EntryError(_("Le résumé de modification ne doit pas dépasser %(max)d caractères.", max=SUMMARY_MAX),
                         "summary")
    return summary


def parse_tags(raw: str | list[str]) -> list[str]:
    """Split "a, b; c" into display names, dropping duplicates by their normalised form."""
    parts = raw if isinstance(raw, list) else raw.replace(";", ",").replace("\n", ",").split(",")
    names: dict[str, str] = {}
    for part in parts:
        if _has_control_chars(part):
            raise EntryError(_("Une étiquette contient des caractères non autorisés (caractère nul ou de contrôle)."),
                             "tags")
        if _has_broken_encoding(part):
            raise EntryError(_("Une étiquette contient des caractères mal encodés (UTF-8 invalide)."), "tags")
        name = " ".join(clean_text(part).split()).lstrip("#").strip()
        if not name:
            continue
        if len(name) > TAG_MAX:
            raise EntryError(_("Une étiquette ne doit pas dépasser %(max)d caractères.", max=TAG_MAX), "tags")
        slug = tag_slug(name)
        if not slug:
            raise EntryError(_("L'étiquette « %(name)s » ne contient ni lettre ni chiffre.", name=name), "tags")
        names.setdefault(slug, name)
    if len(names) > TAGS_PER_ENTRY_MAX:
        raise EntryError(_("Pas plus de %(max)d étiquettes par fiche.", max=TAGS_PER_ENTRY_MAX), "tags")
    return list(names.values())


# Letters that Unicode does not decompose into a base letter plus accent.
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th"})


def tag_slug(name: str) -> str:
    """The identity of a tag: case, accents, spaces and punctuation do not count.

    "Parentalité numérique", "parentalite  numerique" and "PARENTALITÉ-NUMÉRIQUE" share
    `parentalite-numerique`. Letters of other scripts are kept (not dropped), so a tag
    written in Arabic or Greek still has an identity.
    """
    folded = fold(name).translate(_LIGATURES)
    chars = [c if c.isalnum() else "-" for c in folded]
    slug = "-".join(part for part in "".join(chars).split("-") if part)
    return slug[:TAG_MAX].strip("-")


# --- tags -------------------------------------------------------------------------------------

def get_or_create_tags(names: list[str]) -> list[Tag]:
    """Tags by normalised identity: "Parentalité numérique" and "parentalite  numerique" are one.

    Missing tags are inserted with ON CONFLICT DO NOTHING, so two people creating the same
    new tag at the same moment both end up with the one row instead of a unique-key error.
    """
    wanted = {tag_slug(n): n for n in names}
    if not wanted:
        return []
    select = sa.select(Tag).where(Tag.slug.in_(wanted))
    existing = {t.slug: t for t in db.session.scalars(select)}
    missing = [{"slug": slug, "name": name} for slug, name in wanted.items() if slug not in existing]
    if missing:
        dialect = db.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        db.session.execute(insert(Tag).values(missing).on_conflict_do_nothing(index_elements=[Tag.slug]))
        existing = {t.slug: t for t in db.session.scalars(select)}
    return sorted(existing.values(), key=lambda t: t.slug)


# --- entries ----------------------------------------------------------------------------------

def _snapshot(entry: Entry, author: User | None, summary: str, workshop_id: int | None) -> Revision:
    # workshop_id is passed in: before a flush, entry.workshop_id does not yet reflect entry.workshop.
    revision = Revision(
        entry=entry, number=entry.revision_number, author=author, summary=summary, created_at=utcnow(),
        kind=entry.kind, title=entry.title, body=entry.body,
        tags_text="\n".join(entry.tag_names), workshop_id=workshop_id,
    )
    db.session.add(revision)
    return revision


def _check_workshop(edition: Edition, workshop: Workshop | None) -> None:
    if workshop is not None and workshop.edition_id != edition.id:
        raise EntryError(_("Cet atelier n'appartient pas à l'édition de la fiche."), "workshop")


def create_entry(
    *, edition: Edition, kind: EntryKind, title: str, body: str = "", tags: list[str] | str = (),
    workshop: Workshop | None = None, author: User | None = None, parent: Entry | None = None,
    position: int | None = None, summary: str = "", created_at=None,
) -> Entry:
    """Create an entry and its first revision. A sub-item without a position goes last."""
    _check_workshop(edition, workshop)
    if parent is not None and parent.edition_id != edition.id:
        raise EntryError(_("Un sous-élément doit appartenir à la même édition que sa fiche parente."), "parent")
    if position is None:
        position = _next_position(parent)
    # Validate everything and look the tags up before the entry exists: a half-built entry
    # would be autoflushed by the tag query.
    title, body, summary = validate_title(title), validate_body(body), validate_summary(summary)
    tag_rows = get_or_create_tags(parse_tags(list(tags) if not isinstance(tags, str) else tags))
    if workshop is not None and workshop.id is None:
        db.session.flush()  # the first revision records the workshop's id
    entry = Entry(
        edition=edition, workshop=workshop, kind=kind, title=title, body=body, tags=tag_rows,
        parent=parent, position=position, created_by=author, updated_by=author, revision_number=1,
    )
    if created_at is not None:
        entry.created_at = entry.updated_at = created_at
    db.session.add(entry)
    revision = _snapshot(entry, author, summary or _("Création de la fiche"), workshop.id if workshop else None)
    if created_at is not None:
        revision.created_at = created_at
    db.session.flush()
    return entry


def _next_position(parent: Entry | None) -> int:
    if parent is None or parent.id is None:
        return 0
    highest = db.session.scalar(sa.select(sa.func.max(Entry.position)).where(Entry.parent_id == parent.id))
    return 0 if highest is None else highest + 1


def revise_entry(
    entry: Entry, *, base_revision: int, author: User | None, kind: EntryKind, title: str, body: str,
    tags: list[str] | str, workshop: Workshop | None, summary: str = "", at: datetime | None = None,
) -> Revision | None:
    """Save new content on top of `base_revision`.

    Returns the new revision, or None when nothing changed. Raises `EditConflict` when the
    entry moved on since `base_revision`, before touching anything. `at` dates the revision
    (imports replaying past events); by default, now.
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
    return _apply(entry, new, author, summary, at)


def _apply(entry: Entry, content: EntryContent, author: User | None, summary: str,
           at: datetime | None = None) -> Revision:
    entry.kind = content.kind
    entry.title = content.title
    entry.body = content.body
    entry.tags = get_or_create_tags(list(content.tags))
    entry.workshop = db.session.get(Workshop, content.workshop_id) if content.workshop_id else None
    touch(entry, author, at)
    # The UPDATE carries "WHERE revision_number = <old>": a concurrent save from the same
    # base makes this one fail with StaleDataError instead of overwriting it.
    entry.revision_number = entry.revision_number + 1
    revision = _snapshot(entry, author, summary, content.workshop_id)
    revision.created_at = entry.updated_at
    db.session.flush()
    return revision


def touch(entry: Entry, author: User | None, at: datetime | None = None) -> None:
    """Record who changed the entry and when (by default now)."""
    entry.updated_by = author
    entry.updated_at = at or utcnow()
    # Setting the value it already had (two events replayed at one instant) is no change to
    # SQLAlchemy, which would then let the column's onupdate stamp the wall-clock time.
    flag_modified(entry, "updated_at")


def get_revision(entry: Entry, number: int) -> Revision | None:
    return db.session.scalar(sa.select(Revision).where(Revision.entry_id == entry.id, Revision.number == number))


def revert_entry(entry: Entry, *, number: int, base_revision: int, author: User | None) -> Revision | None:
    """Bring back the content of revision `number` as a new revision (history is kept)."""
    if base_revision != entry.revision_number:
        raise EditConflict(entry, base_revision)
    target = get_revision(entry, number)
    if target is None:
        raise EntryError(_("La version %(number)d n'existe pas.", number=number))
    content = EntryContent.of_revision(target)
    if content.workshop_id is not None and db.session.get(Workshop, content.workshop_id) is None:
        content = EntryContent(content.kind, content.title, content.body, content.tags, None)
    if content == EntryContent.of_entry(entry):
        return None
    return _apply(entry, content, author, _("Retour à la version %(number)d", number=number))
