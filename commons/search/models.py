"""The search outbox: rows to re-index, written in the same transaction as the change."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from commons.extensions import db
from commons.models import utcnow


class SearchOutbox(db.Model):
    __tablename__ = "search_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    doc_type: Mapped[str] = mapped_column(sa.String(40))
    doc_id: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)  # pruning deletes by age


class SynonymSet(db.Model):
    """Expressions that mean the same thing to a mediator ("EPCI", "communauté de communes"),
    one per line; applied to queries (expand.py), so a change needs no reindex."""

    __tablename__ = "search_synonyms"

    id: Mapped[int] = mapped_column(primary_key=True)
    expressions: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def expression_list(self) -> list[str]:
        return [line for line in self.expressions.split("\n") if line]
