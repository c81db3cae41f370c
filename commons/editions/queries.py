"""Read side of editions: the editions in their one order, an edition's programme, lookups."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import groupby

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from commons.editions.models import Edition, Structure, Workshop
from commons.extensions import db


def editions_in_order() -> list[Edition]:
    """Every edition, oldest first (`Edition.chronological_key`), with its organisers."""
    editions = db.session.scalars(sa.select(Edition).options(selectinload(Edition.organisers))).all()
    return sorted(editions, key=lambda e: e.chronological_key)


def newest_first() -> list[Edition]:
    return editions_in_order()[::-1]


def earlier_editions(edition: Edition) -> list[Edition]:
    """Editions held before `edition`, oldest first."""
    return [e for e in editions_in_order() if e.held_on < edition.held_on]


def previous_edition(edition: Edition) -> Edition | None:
    earlier = earlier_editions(edition)
    return earlier[-1] if earlier else None


def get_edition(slug: str) -> Edition | None:
    """The edition at this address, with what its pages show (organisers, programme)."""
    return db.session.scalar(
        sa.select(Edition).where(Edition.slug == slug).options(
            selectinload(Edition.organisers),
            selectinload(Edition.workshops).selectinload(Workshop.structures),
            selectinload(Edition.workshops).selectinload(Workshop.questions),
        )
    )


def get_workshop(edition_slug: str, workshop_slug: str) -> Workshop | None:
    return db.session.scalar(
        sa.select(Workshop).join(Workshop.edition)
        .where(Edition.slug == edition_slug, Workshop.slug == workshop_slug)
        .options(selectinload(Workshop.edition), selectinload(Workshop.structures), selectinload(Workshop.questions))
    )


def structures_by_name() -> Sequence[Structure]:
    return db.session.scalars(sa.select(Structure).order_by(Structure.name)).all()


@dataclass
class ProgrammeDay:
    day: date | None
    workshops: list[Workshop]


def programme(edition: Edition) -> list[ProgrammeDay]:
    """The sessions by day, then start time; sessions without a date come last."""
    ordered = sorted(
        edition.workshops,
        key=lambda w: (w.starts_at is None, w.starts_at or datetime.min, w.room, w.id),
    )
    return [
        ProgrammeDay(day, list(items))
        for day, items in groupby(ordered, key=lambda w: w.starts_at.date() if w.starts_at else None)
    ]
