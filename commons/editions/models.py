"""Editions (one yearly event), their programme (workshops) and the structures involved.

Nothing here knows entries: the entries package owns the relation (`Entry.workshop`, and the
`Workshop.entries` backref it adds), so the models import in one direction only.
"""
from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from commons.accounts.models import User
from commons.extensions import db
from commons.kinds import EntryKind
from commons.models import TimestampMixin, enum_column, utcnow


class WorkshopFormat(enum.Enum):
    ATELIER = "atelier"
    MASTERCLASS = "masterclass"
    TABLE_RONDE = "table_ronde"
    DEMONSTRATION = "demonstration"
    PLENIERE = "pleniere"
    CONVIVIAL = "convivial"

    @property
    def label(self) -> str:
        return str(_FORMAT_LABELS[self])


_FORMAT_LABELS = {
    WorkshopFormat.ATELIER: _l("Atelier"),
    WorkshopFormat.MASTERCLASS: _l("Masterclass"),
    WorkshopFormat.TABLE_RONDE: _l("Table ronde"),
    WorkshopFormat.DEMONSTRATION: _l("Démonstration"),
    WorkshopFormat.PLENIERE: _l("Plénière"),
    WorkshopFormat.CONVIVIAL: _l("Temps convivial"),
}


edition_structures = sa.Table(
    "edition_structures",
    db.metadata,
    sa.Column("edition_id", sa.ForeignKey("editions.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("structure_id", sa.ForeignKey("structures.id", ondelete="CASCADE"), primary_key=True),
)

workshop_structures = sa.Table(
    "workshop_structures",
    db.metadata,
    sa.Column("workshop_id", sa.ForeignKey("workshops.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("structure_id", sa.ForeignKey("structures.id", ondelete="CASCADE"), primary_key=True),
)


class Structure(TimestampMixin, db.Model):
    """An organisation (Alpi, La Fibre64, Hubikoop, a médiathèque...). Never a person."""

    __tablename__ = "structures"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(120), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    place: Mapped[str] = mapped_column(sa.String(200), default="")


class Edition(TimestampMixin, db.Model):
    __tablename__ = "editions"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(120), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    year: Mapped[int] = mapped_column(index=True)
    place: Mapped[str] = mapped_column(sa.String(200), default="")
    venue: Mapped[str] = mapped_column(sa.String(200), default="")
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # Demo editions invented to show a feature (not taken from a real report) say so in the UI.
    is_illustrative: Mapped[bool] = mapped_column(default=False)

    organisers: Mapped[list[Structure]] = relationship(secondary=edition_structures, order_by="Structure.name")
    workshops: Mapped[list[Workshop]] = relationship(
        back_populates="edition", order_by="(Workshop.starts_at, Workshop.room, Workshop.id)",
        cascade="all, delete-orphan", passive_deletes=True,
    )

    @property
    def held_on(self) -> date:
        """When the edition took place: its first day, else the first of January of its year."""
        return self.starts_on or date(self.year, 1, 1)

    @property
    def chronological_key(self) -> tuple[date, int]:
        """The one order of editions: by date, then by id (the newest first is its reverse)."""
        return (self.held_on, self.id)

    def __repr__(self) -> str:
        return f"<Edition {self.slug}>"


class Workshop(TimestampMixin, db.Model):
    """One session of an edition's programme (atelier, masterclass, table ronde...)."""

    __tablename__ = "workshops"
    __table_args__ = (sa.UniqueConstraint("edition_id", "slug", name="uq_workshops_edition_slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(sa.ForeignKey("editions.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(sa.String(160))
    title: Mapped[str] = mapped_column(sa.String(300))
    format: Mapped[WorkshopFormat] = mapped_column(enum_column(WorkshopFormat), default=WorkshopFormat.ATELIER)
    # Local wall-clock time of the event (Europe/Paris), not UTC: it is a programme, not a log.
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    room: Mapped[str] = mapped_column(sa.String(120), default="")
    axis: Mapped[str] = mapped_column(sa.String(200), default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    report: Mapped[str] = mapped_column(sa.Text, default="")

    edition: Mapped[Edition] = relationship(back_populates="workshops")
    structures: Mapped[list[Structure]] = relationship(secondary=workshop_structures, order_by="Structure.name")
    questions: Mapped[list[GuidingQuestion]] = relationship(
        back_populates="workshop", order_by="GuidingQuestion.position",
        cascade="all, delete-orphan", passive_deletes=True,
    )
    # Every assignment, deactivated accounts included (commons/editions/facilitators.py writes them).
    facilitations: Mapped[list[WorkshopFacilitator]] = relationship(
        back_populates="workshop", order_by="(WorkshopFacilitator.assigned_at, WorkshopFacilitator.user_id)",
        cascade="all, delete-orphan", passive_deletes=True,
    )
    # What the workshop page shows: the people who facilitate it and can still sign in.
    facilitators: Mapped[list[User]] = relationship(
        secondary="workshop_facilitators", viewonly=True,
        primaryjoin="Workshop.id == WorkshopFacilitator.workshop_id",
        secondaryjoin="and_(User.id == WorkshopFacilitator.user_id, User.is_enabled.is_(True), "
                      "User.deleted_at.is_(None))",
        order_by="(WorkshopFacilitator.assigned_at, WorkshopFacilitator.user_id)",
    )

    @property
    def facilitator_ids(self) -> frozenset[int]:
        """The accounts assigned to this workshop: `commons.accounts.permissions.can` reads it to
        let them carry and decide here (accounts cannot import editions, so it asks by name)."""
        return frozenset(f.user_id for f in self.facilitations)

    def __repr__(self) -> str:
        return f"<Workshop {self.slug}>"


class WorkshopFacilitator(db.Model):
    """A person assigned to facilitate one workshop: they carry, decide and follow up there,
    and nowhere else, unless their role says more."""

    __tablename__ = "workshop_facilitators"

    workshop_id: Mapped[int] = mapped_column(sa.ForeignKey("workshops.id", ondelete="CASCADE"), primary_key=True)
    # Indexed on its own too: the personal data export looks a person's assignments up.
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True,
                                         index=True)
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    assigned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    workshop: Mapped[Workshop] = relationship(back_populates="facilitations")
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class GuidingQuestion(db.Model):
    """A question a workshop worked on ("Quels prérequis ?"), optionally tied to a kind of outcome."""

    __tablename__ = "guiding_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(sa.ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(sa.String(300))
    kind: Mapped[EntryKind | None] = mapped_column(enum_column(EntryKind))

    workshop: Mapped[Workshop] = relationship(back_populates="questions")
