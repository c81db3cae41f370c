"""Entry operations. Explicit arguments; they flush but never commit (the request does, once).

This module is the only writer of `Revision` rows (`append_revision`): creating, editing,
reverting, carrying into another edition and lineage decisions all come through here. A save
claims the next revision number with a compare-and-set on the entry row, so a save whose base
revision is no longer the current one raises `EditConflict` before it writes anything, and no
update is ever lost, even between two requests racing on two workers.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.attributes import flag_modified

from commons.accounts.models import User
from commons.database import claim, insert_or_ignore
from commons.editions.models import Edition, Workshop
from commons.entries.models import (
    BODY_MAX,
    EXCERPT_MAX,
    SUMMARY_MAX,
    TITLE_MAX,
    Entry,
    EntryStatus,
    Revision,
    Tag,
)
from commons.errors import ConflictError, ServiceError
from commons.extensions import db
from commons.kinds import EntryKind
from commons.models import utcnow
from commons.text import TAG_SLUG_MAX, plain_excerpt, render_markdown, tag_slug
from commons.validation import TextRule, shorten

TAG_MAX = TAG_SLUG_MAX
TAGS_PER_ENTRY_MAX = 30


class EntryError(ServiceError):
    """Invalid input for an entry; `field` names the form field."""


class EditConflict(ConflictError):
    """The entry changed since the editor opened it."""

    def __init__(self, entry: Entry, base_revision: int):
        super().__init__(_("La fiche a été modifiée entre-temps (version %(number)d) : rien n'a été enregistré.",
                           number=entry.revision_number))
        self.entry = entry
        self.base_revision = base_revision


TITLE = TextRule(_l("Le titre"), TITLE_MAX, "title", required=_l("Le titre est obligatoire."), error=EntryError)
BODY = TextRule(_l("Le texte"), BODY_MAX, "body", is_multiline=True, error=EntryError)
SUMMARY = TextRule(_l("Le résumé de modification"), SUMMARY_MAX, "summary", shows_length=False, error=EntryError)
TAG = TextRule(_l("Une étiquette"), TAG_MAX, "tags", shows_length=False, error=EntryError)

validate_title, validate_body, validate_summary = TITLE.clean, BODY.clean, SUMMARY.clean


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


# --- tags -------------------------------------------------------------------------------------

def parse_tags(raw: str | list[str] | tuple[str, ...]) -> list[str]:
    """Split "a, b; c" into display names, dropping duplicates by their identity (`tag_slug`)."""
    parts = list(raw) if not isinstance(raw, str) else raw.replace(";", ",").replace("\n", ",").split(",")
    names: dict[str, str] = {}
    for part in parts:
        name = TAG.clean(part).lstrip("#").strip()
        if not name:
            continue
        slug = tag_slug(name)
        if not slug:
            raise EntryError(_("L'étiquette « %(name)s » ne contient ni lettre ni chiffre.", name=name), "tags")
        names.setdefault(slug, name)
    if len(names) > TAGS_PER_ENTRY_MAX:
        raise EntryError(_("Pas plus de %(max)d étiquettes par fiche.", max=TAGS_PER_ENTRY_MAX), "tags")
    return list(names.values())


def _known_tags(slugs) -> dict[str, Tag]:
    return {t.slug: t for t in db.session.scalars(sa.select(Tag).where(Tag.slug.in_(list(slugs))))}


def canonical_tag_names(names: list[str]) -> tuple[str, ...]:
    """The names the entry would show: an existing tag keeps its first spelling. Creates nothing."""
    wanted = {tag_slug(n): n for n in names}
    known = _known_tags(wanted) if wanted else {}
    return tuple(sorted((known[s].name if s in known else n for s, n in wanted.items()), key=tag_slug))


def get_or_create_tags(names: list[str]) -> list[Tag]:
    """Tags by identity: "Parentalité numérique" and "parentalite  numerique" are one.

    Missing tags are inserted with ON CONFLICT DO NOTHING, so two people creating the same
    new tag at the same moment both end up with the one row instead of a unique-key error.
    """
    wanted = {tag_slug(n): n for n in names}
    if not wanted:
        return []
    known = _known_tags(wanted)
    missing = [{"slug": slug, "name": name} for slug, name in wanted.items() if slug not in known]
    if missing:
        insert_or_ignore(Tag.__table__, missing, ["slug"])
        known = _known_tags(wanted)
    return sorted(known.values(), key=lambda t: t.slug)


# --- the revision writer ------------------------------------------------------------------------

def append_revision(entry: Entry, *, author: User | None, summary: str, at: datetime | None = None) -> Revision:
    """Snapshot the entry's current content as revision `entry.revision_number`.

    The only place a `Revision` is made. `summary` may come from the application (a decision
    quoting titles): it is cut to fit, where a user's summary was refused by `SUMMARY`.
    """
    revision = Revision(
        entry=entry, number=entry.revision_number, author=author, summary=shorten(summary, SUMMARY_MAX),
        created_at=at or entry.updated_at or utcnow(), kind=entry.kind, title=entry.title, body=entry.body,
        body_html=entry.body_html, tags_text="\n".join(entry.tag_names),
        workshop_id=entry.workshop.id if entry.workshop else None,
    )
    db.session.add(revision)
    return revision


def render(entry: Entry) -> None:
    """Render the body once, when it is saved: pages show the stored HTML and lists the excerpt."""
    entry.body_html = str(render_markdown(entry.body))
    entry.excerpt = plain_excerpt(entry.body, EXCERPT_MAX)


def touch(entry: Entry, author: User | None, at: datetime | None = None) -> None:
    """Record who changed the entry and when (by default now)."""
    entry.updated_by = author
    entry.updated_at = at or utcnow()
    # Setting the value it already had (two events replayed at one instant) is no change to
    # SQLAlchemy, which would then let the column's onupdate stamp the wall-clock time.
    flag_modified(entry, "updated_at")


def _check_workshop(edition: Edition, workshop: Workshop | None) -> None:
    if workshop is not None and workshop.edition_id != edition.id:
        raise EntryError(_("Cet atelier n'appartient pas à l'édition de la fiche."), "workshop")


def _next_position(parent: Entry | None) -> int:
    if parent is None or parent.id is None:
        return 0
    highest = db.session.scalar(sa.select(sa.func.max(Entry.position)).where(Entry.parent_id == parent.id))
    return 0 if highest is None else highest + 1


def create_entry(
    *, edition: Edition, kind: EntryKind, title: str, body: str = "", tags: list[str] | str = (),
    workshop: Workshop | None = None, author: User | None = None, parent: Entry | None = None,
    position: int | None = None, summary: str = "", created_at: datetime | None = None,
) -> Entry:
    """Create an entry and its first revision. A sub-item without a position goes last."""
    _check_workshop(edition, workshop)
    if parent is not None and parent.edition_id != edition.id:
        raise EntryError(_("Un sous-élément doit appartenir à la même édition que sa fiche parente."), "parent")
    # Validate everything and look the tags up before the entry exists: a half-built entry
    # would be autoflushed by the tag query.
    title, body, summary = validate_title(title), validate_body(body), validate_summary(summary)
    tag_rows = get_or_create_tags(parse_tags(tags))
    if workshop is not None and workshop.id is None:
        db.session.flush()  # the first revision records the workshop's id
    entry = Entry(
        edition=edition, workshop=workshop, kind=kind, title=title, body=body, tags=tag_rows, parent=parent,
        position=_next_position(parent) if position is None else position, created_by=author, updated_by=author,
        revision_number=1,
    )
    entry.created_at = entry.updated_at = created_at or utcnow()
    render(entry)
    db.session.add(entry)
    append_revision(entry, author=author, summary=summary or _("Création de la fiche"))
    db.session.flush()
    return entry


def revise_entry(
    entry: Entry, *, base_revision: int, author: User | None, kind: EntryKind, title: str, body: str,
    tags: list[str] | str, workshop: Workshop | None, summary: str = "", at: datetime | None = None,
) -> Revision | None:
    """Save new content on top of `base_revision`.

    Returns the new revision, or None when nothing changed (and then writes nothing, not even
    a new tag). Raises `EditConflict` when the entry moved on since `base_revision`. `at` dates
    the revision (imports replaying past events); by default, now.
    """
    if base_revision != entry.revision_number:
        raise EditConflict(entry, base_revision)
    _check_workshop(entry.edition, workshop)
    content = EntryContent(kind, validate_title(title), validate_body(body), canonical_tag_names(parse_tags(tags)),
                           workshop.id if workshop else None)
    summary = validate_summary(summary)
    if content == EntryContent.of_entry(entry):
        return None
    return _save(entry, content, base_revision, author, summary, at)


def revert_entry(entry: Entry, *, number: int, base_revision: int, author: User | None) -> Revision | None:
    """Bring back the content of revision `number` as a new revision (history is kept)."""
    if base_revision != entry.revision_number:
        raise EditConflict(entry, base_revision)
    target = db.session.scalar(sa.select(Revision).where(Revision.entry_id == entry.id, Revision.number == number))
    if target is None:
        raise EntryError(_("La version %(number)d n'existe pas.", number=number))
    content = EntryContent.of_revision(target)
    if content.workshop_id is not None and db.session.get(Workshop, content.workshop_id) is None:
        content = EntryContent(content.kind, content.title, content.body, content.tags, None)
    if content == EntryContent.of_entry(entry):
        return None
    return _save(entry, content, base_revision, author, _("Retour à la version %(number)d", number=number))


def _save(entry: Entry, content: EntryContent, base_revision: int, author: User | None, summary: str,
          at: datetime | None = None) -> Revision:
    # Claim the next number first: a concurrent save from the same base has then either
    # already won (we stop here, having written nothing) or waits for our commit and loses.
    if not claim(entry, "revision_number", base_revision, base_revision + 1):
        db.session.refresh(entry)
        raise EditConflict(entry, base_revision)
    body_changed = content.body != entry.body
    entry.kind, entry.title, entry.body = content.kind, content.title, content.body
    if body_changed:
        render(entry)
    entry.tags = get_or_create_tags(list(content.tags))
    entry.workshop = db.session.get(Workshop, content.workshop_id) if content.workshop_id else None
    touch(entry, author, at)
    revision = append_revision(entry, author=author, summary=summary, at=entry.updated_at)
    db.session.flush()
    return revision


# --- status and sub-items -------------------------------------------------------------------------

def archive(entry: Entry, *, author: User | None, at: datetime | None = None) -> None:
    """Kept and readable, no longer listed: history stays, links stay."""
    entry.status = EntryStatus.ARCHIVED
    touch(entry, author, at)


def adopt_children(parent: Entry, children: list[Entry]) -> None:
    """Move sub-items under another entry of the same edition (after a merge)."""
    for child in children:
        child.parent = parent
