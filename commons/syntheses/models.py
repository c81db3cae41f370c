"""A workshop's synthesis: one mutable draft, and the versions published from it.

The draft references entries by id (its `arrangement`), so it always shows their current
text. A published version copies what it showed — the texts, and for each item the entry's
id, revision number, title and body at that moment — into `content`: a later edit, or the
entry's archiving, cannot change what was published. Versions are only ever inserted.
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from markupsafe import Markup
from sqlalchemy.orm import Mapped, mapped_column, relationship

from commons.extensions import db
from commons.models import utcnow

if TYPE_CHECKING:
    from commons.accounts.models import User
    from commons.editions.models import Workshop

TEXT_MAX = 50_000
SECTION_TITLE_MAX = 200
COMMENT_MAX = 2_000


class Synthesis(db.Model):
    """The draft of one workshop's synthesis (one per workshop)."""

    __tablename__ = "syntheses"

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(sa.ForeignKey("workshops.id", ondelete="CASCADE"), unique=True)
    intro: Mapped[str] = mapped_column(sa.Text, default="")
    intro_html: Mapped[str] = mapped_column(sa.Text, default="")  # rendered when saved, like entry bodies
    conclusion: Mapped[str] = mapped_column(sa.Text, default="")
    conclusion_html: Mapped[str] = mapped_column(sa.Text, default="")
    # {"sections": [{"title": str, "items": [{"entry_id": int, "included": bool, "comment": str}]}]}
    # None until the first save: the default arrangement (by kind) is computed, not stored.
    arrangement: Mapped[dict | None] = mapped_column(sa.JSON)
    # How many times the draft was saved. A save names the number its form was opened at and
    # claims the next one (compare-and-set): two people editing at once never overwrite each other.
    draft_number: Mapped[int] = mapped_column(default=0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    workshop: Mapped[Workshop] = relationship()
    updated_by: Mapped[User | None] = relationship()
    versions: Mapped[list[SynthesisVersion]] = relationship(
        back_populates="synthesis", order_by="SynthesisVersion.number", passive_deletes=True)


class SynthesisVersion(db.Model):
    """Version `number` of a synthesis as published: never updated, never deleted alone."""

    __tablename__ = "synthesis_versions"
    __table_args__ = (sa.UniqueConstraint("synthesis_id", "number", name="uq_synthesis_versions_synthesis_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    synthesis_id: Mapped[int] = mapped_column(sa.ForeignKey("syntheses.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    intro: Mapped[str] = mapped_column(sa.Text, default="")
    intro_html: Mapped[str] = mapped_column(sa.Text, default="")
    conclusion: Mapped[str] = mapped_column(sa.Text, default="")
    conclusion_html: Mapped[str] = mapped_column(sa.Text, default="")
    # {"sections": [{"title": str, "items": [{"entry_id", "revision", "kind", "title", "body",
    #   "body_html", "comment"}]}]}: included items only, in order.
    content: Mapped[dict] = mapped_column(sa.JSON)

    synthesis: Mapped[Synthesis] = relationship(back_populates="versions")
    published_by: Mapped[User | None] = relationship()

    @property
    def intro_markup(self) -> Markup:
        return Markup(self.intro_html)

    @property
    def conclusion_markup(self) -> Markup:
        return Markup(self.conclusion_html)

    @property
    def sections(self) -> list[dict]:
        return self.content.get("sections", [])
