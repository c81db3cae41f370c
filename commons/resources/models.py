"""A resource a workshop shared: a link, or a document uploaded to the commons."""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from commons.editions.models import Workshop
from commons.extensions import db
from commons.models import enum_column, utcnow

TITLE_MAX = 200
URL_MAX = 2000
FILE_NAME_MAX = 200


class ResourceKind(enum.Enum):
    LINK = "link"
    FILE = "file"


class WorkshopResource(db.Model):
    __tablename__ = "workshop_resources"

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(sa.ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ResourceKind] = mapped_column(enum_column(ResourceKind))
    title: Mapped[str] = mapped_column(sa.String(TITLE_MAX))
    # A link: its address (http or https only).
    url: Mapped[str | None] = mapped_column(sa.String(URL_MAX))
    # A file: the name shown and offered on download (no path), the random name it is stored
    # under, and what was read from its content, not from its name.
    file_name: Mapped[str | None] = mapped_column(sa.String(FILE_NAME_MAX))
    stored_name: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    media_type: Mapped[str | None] = mapped_column(sa.String(100))
    size: Mapped[int | None]
    sha256: Mapped[str | None] = mapped_column(sa.String(64))
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    # The backref is added from here: editions does not know resources.
    workshop: Mapped[Workshop] = relationship(backref=backref(
        "resources", order_by="(WorkshopResource.position, WorkshopResource.id)", passive_deletes=True,
        cascade="all, delete-orphan"))

    @property
    def is_file(self) -> bool:
        return self.kind is ResourceKind.FILE
