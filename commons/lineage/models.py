"""Lineage: typed links between entries of successive editions, the decisions taken on them,
carry proposals from contributors and the follow-up of actions."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from commons.extensions import db
from commons.models import enum_column, utcnow

if TYPE_CHECKING:
    from commons.accounts.models import User
    from commons.editions.models import Structure, Workshop
    from commons.entries.models import Entry

REASON_MAX = 2000
DECISION_SUMMARY_MAX = 300


class Decision(enum.Enum):
    PENDING = "a_decider"
    KEPT = "reconduit"
    REWORDED = "reformule"
    MERGED = "fusionne"
    SPLIT = "scinde"
    DROPPED = "abandonne"
    REALISED = "realise"
    NEW = "nouveau"

    @property
    def label(self) -> str:
        return str(_DECISION_LABELS[self][0])

    @property
    def plural(self) -> str:
        return str(_DECISION_LABELS[self][1])

    @property
    def is_pending(self) -> bool:
        return self is Decision.PENDING

    @property
    def is_open(self) -> bool:
        """Still open to a decision: pending, or kept/reworded (an action kept in 2024 can
        still be realised or dropped)."""
        return not self.is_final

    @property
    def is_final(self) -> bool:
        # Kept and reworded entries live on: an action kept in 2024 can still be realised or dropped.
        return self not in (Decision.PENDING, Decision.KEPT, Decision.REWORDED)


_DECISION_LABELS = {
    Decision.PENDING: (_l("À décider"), _l("À décider")),
    Decision.KEPT: (_l("Reconduit"), _l("Reconduits")),
    Decision.REWORDED: (_l("Reformulé"), _l("Reformulés")),
    Decision.MERGED: (_l("Fusionné"), _l("Fusionnés")),
    Decision.SPLIT: (_l("Scindé"), _l("Scindés")),
    Decision.DROPPED: (_l("Abandonné"), _l("Abandonnés")),
    Decision.REALISED: (_l("Réalisé"), _l("Réalisés")),
    Decision.NEW: (_l("Nouveau"), _l("Nouveaux")),
}


class ProposalStatus(enum.Enum):
    PENDING = "en_attente"
    ACCEPTED = "acceptee"
    REFUSED = "refusee"

    @property
    def label(self) -> str:
        return str({ProposalStatus.PENDING: _l("En attente"), ProposalStatus.ACCEPTED: _l("Acceptée"),
                    ProposalStatus.REFUSED: _l("Refusée")}[self])

    @property
    def is_pending(self) -> bool:
        return self is ProposalStatus.PENDING


class ActionStatus(enum.Enum):
    PROPOSED = "proposee"
    IN_PROGRESS = "en_cours"
    DONE = "realisee"
    DROPPED = "abandonnee"

    @property
    def label(self) -> str:
        return str({ActionStatus.PROPOSED: _l("Proposée"), ActionStatus.IN_PROGRESS: _l("En cours"),
                    ActionStatus.DONE: _l("Réalisée"), ActionStatus.DROPPED: _l("Abandonnée")}[self])


class Carry(db.Model):
    """An entry was carried into an edition. The unique pair is the database's guarantee that
    nothing is copied blindly twice, even when two facilitators carry at the same moment."""

    __tablename__ = "lineage_carries"
    __table_args__ = (sa.UniqueConstraint("source_entry_id", "edition_id", name="uq_lineage_carries_source_edition"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_entry_id: Mapped[int] = mapped_column(sa.ForeignKey("entries.id", ondelete="CASCADE"))
    edition_id: Mapped[int] = mapped_column(sa.ForeignKey("editions.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LineageLink(db.Model):
    """source (edition N-1) → target (edition N), typed by the decision taken on the target.

    A "nouveau" link has no source: it records that the edition decided a new outcome.
    """

    __tablename__ = "lineage_links"
    __table_args__ = (sa.UniqueConstraint("source_entry_id", "target_entry_id", name="uq_lineage_links_source_target"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("entries.id", ondelete="CASCADE"), index=True)
    target_entry_id: Mapped[int] = mapped_column(sa.ForeignKey("entries.id", ondelete="CASCADE"), index=True)
    decision: Mapped[Decision] = mapped_column(enum_column(Decision), default=Decision.PENDING, index=True)
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    evidence: Mapped[str] = mapped_column(sa.Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    source: Mapped[Entry | None] = relationship(foreign_keys=[source_entry_id])
    target: Mapped[Entry] = relationship(foreign_keys=[target_entry_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    def __repr__(self) -> str:
        return f"<LineageLink {self.source_entry_id}→{self.target_entry_id} {self.decision.value}>"


class DecisionLog(db.Model):
    """Append-only record of every carry and decision, with who and when.

    Titles are copied so that the record still reads right after an entry is renamed or removed.
    """

    __tablename__ = "lineage_decision_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    decision: Mapped[Decision] = mapped_column(enum_column(Decision))
    entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("entries.id", ondelete="SET NULL"), index=True)
    source_entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("entries.id", ondelete="SET NULL"), index=True)
    related_entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("entries.id", ondelete="SET NULL"), index=True)
    summary: Mapped[str] = mapped_column(sa.String(DECISION_SUMMARY_MAX), default="")
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    evidence: Mapped[str] = mapped_column(sa.Text, default="")
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[User | None] = relationship()


class CarryProposal(db.Model):
    """A contributor's request to carry an entry into a workshop; a facilitator accepts or refuses it."""

    __tablename__ = "lineage_proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_entry_id: Mapped[int] = mapped_column(sa.ForeignKey("entries.id", ondelete="CASCADE"), index=True)
    target_workshop_id: Mapped[int] = mapped_column(sa.ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    status: Mapped[ProposalStatus] = mapped_column(enum_column(ProposalStatus), default=ProposalStatus.PENDING)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    proposed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    refusal_reason: Mapped[str] = mapped_column(sa.Text, default="")

    source: Mapped[Entry] = relationship()
    target_workshop: Mapped[Workshop] = relationship()
    proposed_by: Mapped[User | None] = relationship(foreign_keys=[proposed_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class ActionFollowUp(db.Model):
    """Status and owner of an action entry. Kept here, not on Entry: only actions are followed."""

    __tablename__ = "lineage_action_followups"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("entries.id", ondelete="CASCADE"), unique=True)
    status: Mapped[ActionStatus] = mapped_column(enum_column(ActionStatus), default=ActionStatus.PROPOSED)
    owner_structure_id: Mapped[int | None] = mapped_column(sa.ForeignKey("structures.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    # Bumped by every update; the form sends the one it showed, so a stale form is a conflict.
    version: Mapped[int] = mapped_column(default=0, server_default="0")
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    entry: Mapped[Entry] = relationship()
    owner: Mapped[Structure | None] = relationship()
