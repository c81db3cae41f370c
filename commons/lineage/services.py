"""Carrying entries into a later edition, and contributors' carry proposals.

Like indico's NoteCloner, a carry makes a fresh entry from the current content of the origin
(first revision "Reprise de <édition>") and maps old → new so that sub-items follow their
parent. Unlike a clone, the copy keeps a typed link to its origin: the lineage graph.

Every check runs before the first write, so a refused carry changes nothing. Services flush,
never commit.
"""
from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from commons.accounts.models import User
from commons.database import storable_ids
from commons.editions.models import Edition, Workshop
from commons.entries.kinds import EntryKind
from commons.entries.models import Entry, EntryStatus, Revision
from commons.entries.services import create_entry, touch
from commons.extensions import db
from commons.lineage.models import (
    ActionFollowUp, ActionStatus, Carry, CarryProposal, Decision, DecisionLog, LineageLink, ProposalStatus,
)
from commons.models import utcnow


class LineageError(ValueError):
    """A refused lineage operation; the message is French and shown as is."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


# --- editions order ---------------------------------------------------------------------------

def edition_date(edition: Edition) -> date:
    return edition.starts_on or date(edition.year, 1, 1)


def editions_in_order() -> list[Edition]:
    editions = db.session.scalars(sa.select(Edition)).all()
    return sorted(editions, key=lambda e: (edition_date(e), e.id))


def previous_edition(edition: Edition) -> Edition | None:
    earlier = [e for e in editions_in_order() if edition_date(e) < edition_date(edition)]
    return earlier[-1] if earlier else None


def check_later(source: Edition, target: Edition) -> None:
    if source.id == target.id:
        raise LineageError(_("On ne reprend pas une fiche dans sa propre édition (%(edition)s) : "
                             "choisissez un atelier d'une édition suivante.", edition=target.name))
    if edition_date(target) <= edition_date(source):
        raise LineageError(_("%(target)s n'est pas postérieure à %(source)s : on ne reprend une fiche "
                             "que dans une édition suivante.", target=target.name, source=source.name))


# --- graph ------------------------------------------------------------------------------------

def _sources_of(entry_ids: set[int]) -> list[LineageLink]:
    if not entry_ids:
        return []
    return db.session.scalars(sa.select(LineageLink).where(
        LineageLink.target_entry_id.in_(entry_ids), LineageLink.source_entry_id.is_not(None))).all()


def _targets_of(entry_ids: set[int]) -> list[LineageLink]:
    if not entry_ids:
        return []
    return db.session.scalars(sa.select(LineageLink).where(LineageLink.source_entry_id.in_(entry_ids))).all()


def walk(entry: Entry, upwards: bool) -> list[LineageLink]:
    """Every link above (ancestors) or below (descendants) an entry, breadth first, each once."""
    seen_links: dict[int, LineageLink] = {}
    seen_entries = {entry.id}
    frontier = {entry.id}
    while frontier:
        links = _sources_of(frontier) if upwards else _targets_of(frontier)
        frontier = set()
        for link in links:
            if link.id in seen_links:
                continue
            seen_links[link.id] = link
            nxt = link.source_entry_id if upwards else link.target_entry_id
            if nxt not in seen_entries:
                seen_entries.add(nxt)
                frontier.add(nxt)
    return list(seen_links.values())


def ancestor_ids(entry: Entry) -> set[int]:
    return {link.source_entry_id for link in walk(entry, upwards=True)}


# --- history ----------------------------------------------------------------------------------

def record_in_history(entry: Entry, author: User | None, summary: str, at: datetime | None = None) -> Revision:
    """Append a revision that records an event (decision, archiving) without new content.

    entries.services only writes a revision when the content changes; a lineage decision must
    show in the entry's history all the same.
    """
    when = at or utcnow()
    entry.revision_number = entry.revision_number + 1
    touch(entry, author, when)
    revision = Revision(
        entry=entry, number=entry.revision_number, author=author, summary=summary[:300], created_at=when,
        kind=entry.kind, title=entry.title, body=entry.body, tags_text="\n".join(entry.tag_names),
        workshop_id=entry.workshop_id,
    )
    db.session.add(revision)
    db.session.flush()
    return revision


def log_decision(decision: Decision, *, entry: Entry | None, source: Entry | None = None,
                 related: Entry | None = None, actor: User | None, summary: str, reason: str = "",
                 evidence: str = "", at: datetime | None = None) -> DecisionLog:
    row = DecisionLog(
        decision=decision, entry_id=entry.id if entry else None, source_entry_id=source.id if source else None,
        related_entry_id=related.id if related else None, summary=summary[:300], reason=reason,
        evidence=evidence, actor_id=actor.id if actor else None, created_at=at or utcnow(),
    )
    db.session.add(row)
    return row


# --- carrying ---------------------------------------------------------------------------------

def load_entries(ids: Iterable[int | str]) -> list[Entry]:
    """Entries by id, in the given order; refuses ids that do not (or no longer) exist."""
    wanted: list[int] = []
    for raw in ids:
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise LineageError(_("Identifiant de fiche invalide : « %(value)s ».", value=raw)) from None
        if value not in wanted:
            wanted.append(value)
    known = storable_ids(wanted)
    found = {e.id: e for e in db.session.scalars(sa.select(Entry).where(Entry.id.in_(known)))} if known else {}
    missing = [i for i in wanted if i not in found]
    if missing:
        raise LineageError(_("Cette fiche n'existe plus : n° %(ids)s. Rechargez la page et refaites votre "
                             "sélection.", ids=", ".join(map(str, missing))))
    return [found[i] for i in wanted]


def select_sources(workshop: Workshop, *, kind: EntryKind | None = None) -> list[Entry]:
    """The published outcomes of a workshop (optionally one kind), parents before sub-items."""
    query = sa.select(Entry).where(Entry.workshop_id == workshop.id, Entry.status == EntryStatus.PUBLISHED)
    if kind is not None:
        query = query.where(Entry.kind == kind)
    entries = db.session.scalars(query).all()
    return sorted(entries, key=lambda e: (e.kind.value, e.parent_id is not None, e.position, e.id))


class CarryMode(enum.Enum):
    """What a carry takes from the origin workshop."""

    ALL = "all"
    KIND = "kind"
    SELECTED = "selected"


def entries_to_carry(source: Workshop | None, mode: CarryMode, *, kind: EntryKind | None,
                     entry_ids: Iterable[int]) -> list[Entry]:
    """The entries a carry form names; refused in French when it names nothing that exists."""
    if source is None:
        raise LineageError(_("Cet atelier d'origine n'existe plus."), "source")
    if mode is CarryMode.ALL:
        return select_sources(source)
    if mode is CarryMode.KIND:
        if kind is None:
            raise LineageError(_("Choisissez la nature à reprendre."), "kind")
        return select_sources(source, kind=kind)
    return load_entries(entry_ids)


def carried_into(source_ids: Iterable[int], edition: Edition) -> set[int]:
    ids = list(source_ids)
    if not ids:
        return set()
    return set(db.session.scalars(sa.select(Carry.source_entry_id).where(
        Carry.edition_id == edition.id, Carry.source_entry_id.in_(ids))))


def check_carry(sources: list[Entry], target: Workshop) -> None:
    """Every reason to refuse carrying `sources` into `target`, before anything is written."""
    if not sources:
        raise LineageError(_("Aucune fiche à reprendre : cochez au moins une fiche."), "entries")
    edition = target.edition
    already = carried_into([s.id for s in sources], edition)
    for source in sources:
        check_later(source.edition, edition)
        if source.id in already:
            raise LineageError(_("« %(title)s » a déjà été reprise dans %(edition)s : on ne la copie pas "
                                 "une seconde fois.", title=source.title, edition=edition.name), "entries")
        # Editions can be re-dated after the fact; carrying into an edition that holds an
        # ancestor would then close a loop in the lineage.
        ancestors = ancestor_ids(source)
        if ancestors and db.session.scalar(sa.select(sa.func.count(Entry.id)).where(
                Entry.id.in_(ancestors), Entry.edition_id == edition.id)):
            raise LineageError(_("« %(title)s » descend d'une fiche de %(edition)s : la reprendre créerait "
                                 "un cycle dans la filiation.", title=source.title, edition=edition.name), "entries")


def carry_entries(sources: list[Entry], *, target: Workshop, author: User | None,
                  at: datetime | None = None) -> list[LineageLink]:
    """Copy `sources` into workshop `target` of a later edition, each linked to its origin (à décider)."""
    check_carry(sources, target)
    edition = target.edition
    when = at or utcnow()
    chosen = {s.id for s in sources}
    # Parents first, so a carried sub-item can hang under its carried parent (indico's old → new map).
    ordered = sorted(sources, key=lambda e: (e.parent_id is not None and e.parent_id in chosen, e.position, e.id))
    copies: dict[int, Entry] = {}
    links = []
    for source in ordered:
        copy = create_entry(
            edition=edition, kind=source.kind, title=source.title, body=source.body, tags=source.tag_names,
            workshop=target, author=author, parent=copies.get(source.parent_id), position=source.position,
            summary=_("Reprise de %(edition)s", edition=source.edition.name), created_at=when,
        )
        copies[source.id] = copy
        db.session.add(Carry(source_entry_id=source.id, edition_id=edition.id,
                             created_by_id=author.id if author else None, created_at=when))
        link = LineageLink(source=source, target=copy, decision=Decision.PENDING, created_at=when,
                           created_by_id=author.id if author else None)
        db.session.add(link)
        links.append(link)
        if source.kind is EntryKind.ACTION:
            origin = followup_of(source)
            db.session.add(ActionFollowUp(
                entry=copy, status=origin.status if origin else ActionStatus.PROPOSED,
                owner_structure_id=origin.owner_structure_id if origin else None, updated_at=when,
                updated_by_id=author.id if author else None,
            ))
        log_decision(Decision.PENDING, entry=copy, source=source, actor=author, at=when,
                     summary=_("Reprise de « %(title)s » (%(source)s) dans %(target)s", title=source.title,
                               source=source.edition.name, target=edition.name))
    db.session.flush()
    return links


def followup_of(entry: Entry) -> ActionFollowUp | None:
    return db.session.scalar(sa.select(ActionFollowUp).where(ActionFollowUp.entry_id == entry.id))


# --- proposals --------------------------------------------------------------------------------

def propose_carry(sources: list[Entry], *, target: Workshop, author: User, note: str = "") -> list[CarryProposal]:
    """A contributor asks for a carry; refused for the same reasons a carry would be."""
    check_carry(sources, target)
    pending = set(db.session.scalars(sa.select(CarryProposal.source_entry_id).where(
        CarryProposal.target_workshop_id == target.id, CarryProposal.status == ProposalStatus.PENDING,
        CarryProposal.source_entry_id.in_([s.id for s in sources]))))
    for source in sources:
        if source.id in pending:
            raise LineageError(_("La reprise de « %(title)s » dans cet atelier est déjà proposée et attend "
                                 "la réponse d'un·e animateur·rice.", title=source.title), "entries")
    proposals = [CarryProposal(source=s, target_workshop=target, proposed_by=author, note=note.strip()[:2000])
                 for s in sources]
    db.session.add_all(proposals)
    db.session.flush()
    return proposals


def _check_pending(proposal: CarryProposal) -> None:
    if proposal.status is not ProposalStatus.PENDING:
        raise LineageError(_("Cette proposition a déjà reçu une réponse (%(status)s).",
                             status=proposal.status.label.lower()))


def accept_proposal(proposal: CarryProposal, *, actor: User) -> LineageLink:
    _check_pending(proposal)
    link = carry_entries([proposal.source], target=proposal.target_workshop, author=actor)[0]
    proposal.status = ProposalStatus.ACCEPTED
    proposal.decided_by = actor
    proposal.decided_at = utcnow()
    db.session.flush()
    return link


def refuse_proposal(proposal: CarryProposal, *, actor: User, reason: str = "") -> None:
    _check_pending(proposal)
    proposal.status = ProposalStatus.REFUSED
    proposal.decided_by = actor
    proposal.decided_at = utcnow()
    proposal.refusal_reason = reason.strip()[:2000]
    db.session.flush()
