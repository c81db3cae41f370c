"""Entries (fiches), their tags and their append-only revisions."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from commons.extensions import db
from commons.kinds import EntryKind
from commons.models import TimestampMixin, enum_column, utcnow

if TYPE_CHECKING:
    from commons.accounts.models import User
    from commons.editions.models import Edition, Workshop

TITLE_MAX = 200
BODY_MAX = 100_000
SUMMARY_MAX = 300
EXCERPT_MAX = 300


class EntryStatus(enum.Enum):
    PUBLISHED = "publiee"
    ARCHIVED = "archivee"

    @property
    def label(self) -> str:
        return str({EntryStatus.PUBLISHED: _l("Publiée"), EntryStatus.ARCHIVED: _l("Archivée")}[self])

    @property
    def is_archived(self) -> bool:
        return self is EntryStatus.ARCHIVED


entry_tags = sa.Table(
    "entry_tags",
    db.metadata,
    sa.Column("entry_id", sa.ForeignKey("entries.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("tag_id", sa.ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Tag(db.Model):
    """A keyword. `slug` is the normalised form (no case, accents or extra spaces): the identity."""

    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    name: Mapped[str] = mapped_column(sa.String(80))

    def __repr__(self) -> str:
        return f"<Tag {self.slug}>"


class Entry(TimestampMixin, db.Model):
    """One outcome of a workshop. Holds the current state; history lives in `Revision`."""

    __tablename__ = "entries"
    # Listing pages filter on the published status first, then by kind or edition, and count.
    __table_args__ = (
        sa.Index("ix_entries_status_kind", "status", "kind"),
        sa.Index("ix_entries_status_edition_id", "status", "edition_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # active_history: the tallies (tallies.py) need the value a change replaces, even unloaded.
    kind: Mapped[EntryKind] = mapped_column(enum_column(EntryKind), index=True, active_history=True)
    title: Mapped[str] = mapped_column(sa.String(TITLE_MAX))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    # Rendered once, when the body is saved (entries.services), never on each view: the
    # sanitised HTML of the body and the start of its plain text, for lists.
    body_html: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    excerpt: Mapped[str] = mapped_column(sa.String(EXCERPT_MAX + 1), default="", server_default="")
    status: Mapped[EntryStatus] = mapped_column(enum_column(EntryStatus), default=EntryStatus.PUBLISHED, index=True,
                                                active_history=True)
    # An entry always belongs to an edition; the workshop is optional and may go away
    # (SET NULL) without orphaning the entry.
    edition_id: Mapped[int] = mapped_column(sa.ForeignKey("editions.id", ondelete="RESTRICT"), index=True,
                                            active_history=True)
    workshop_id: Mapped[int | None] = mapped_column(sa.ForeignKey("workshops.id", ondelete="SET NULL"), index=True)
    # Sub-items ("Vulgariser" under "Transmettre des savoirs") are entries of their own.
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("entries.id", ondelete="SET NULL"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    # Number of the latest revision; also the optimistic-lock column, so two concurrent
    # saves from the same base can never both succeed (the second raises StaleDataError).
    revision_number: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    edition: Mapped[Edition] = relationship()
    # This side owns the relation and adds `Workshop.entries`, so editions never import entries.
    # Deleting a workshop through the ORM loads its entries and sets their workshop to None:
    # the session stays true to the database and the search hooks see each entry change.
    workshop: Mapped[Workshop | None] = relationship(backref=backref("entries", order_by="Entry.id"))
    parent: Mapped[Entry | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Entry]] = relationship(back_populates="parent", order_by="(Entry.position, Entry.id)")
    tags: Mapped[list[Tag]] = relationship(secondary=entry_tags, order_by="Tag.slug")
    revisions: Mapped[list[Revision]] = relationship(
        back_populates="entry", order_by="Revision.number",
        cascade="all, delete-orphan", passive_deletes=True,
    )
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])

    __mapper_args__ = {"version_id_col": revision_number, "version_id_generator": False}

    @property
    def tag_names(self) -> list[str]:
        return [t.name for t in self.tags]

    @property
    def html(self) -> Markup:
        """The body as sanitised HTML, rendered when it was saved."""
        return Markup(self.body_html)

    def __repr__(self) -> str:
        return f"<Entry {self.id} {self.kind.value} {self.title[:30]!r}>"


class Revision(db.Model):
    """Append-only snapshot of an entry after a save: never updated, never deleted alone."""

    __tablename__ = "revisions"
    __table_args__ = (sa.UniqueConstraint("entry_id", "number", name="uq_revisions_entry_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("entries.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)  # recent changes sort on it
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    summary: Mapped[str] = mapped_column(sa.String(SUMMARY_MAX), default="")
    kind: Mapped[EntryKind] = mapped_column(enum_column(EntryKind))
    title: Mapped[str] = mapped_column(sa.String(TITLE_MAX))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    body_html: Mapped[str] = mapped_column(sa.Text, default="", server_default="")  # rendered when saved
    # Tag names as the user saw them, one per line: the snapshot must not change when a tag is renamed.
    tags_text: Mapped[str] = mapped_column(sa.Text, default="")
    workshop_id: Mapped[int | None] = mapped_column(sa.ForeignKey("workshops.id", ondelete="SET NULL"))

    entry: Mapped[Entry] = relationship(back_populates="revisions")
    author: Mapped[User | None] = relationship()

    @property
    def tag_names(self) -> list[str]:
        return [t for t in self.tags_text.split("\n") if t]

    @property
    def html(self) -> Markup:
        return Markup(self.body_html)


class EntryTally(db.Model):
    """How many entries (and revisions of them) one edition holds of one kind in one status
    (entries/tallies.py)."""

    __tablename__ = "entry_tallies"

    edition_id: Mapped[int] = mapped_column(sa.ForeignKey("editions.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
    revisions: Mapped[int] = mapped_column(default=0, server_default="0")  # of those entries
