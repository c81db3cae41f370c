"""Carrying entries into a later edition, and contributors' carry proposals.

Like indico's NoteCloner, a carry makes a fresh entry from the current content of the origin
(first revision "Reprise de <édition>", through `entries.services.create_entry`) and maps
old → new so that sub-items follow their parent. Unlike a clone, the copy keeps a typed link
to its origin: the lineage graph.

Every check runs before the first write, so a refused carry changes nothing. Services flush,
never commit.
"""
from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from commons.accounts.models import User
from commons.database import claim, insert_or_ignore, parse_int, storable_ids
from commons.editions.models import Edition, Workshop
from commons.entries.models import Entry, EntryStatus
from commons.entries.services import create_entry
from commons.errors import ConflictError, ServiceError
from commons.extensions import db
from commons.kinds import EntryKind
from commons.lineage.models import (
    DECISION_SUMMARY_MAX,
    REASON_MAX,
    ActionFollowUp,
    ActionStatus,
    Carry,
    CarryProposal,
    Decision,
    DecisionLog,
    LineageLink,
    ProposalStatus,
)
from commons.models import utcnow
from commons.validation import TextRule, shorten


class LineageError(ServiceError):
    """A refused lineage operation; the message is French and shown as is."""


class LineageConflict(LineageError, ConflictError):
    """Someone decided first (or carried the same entry at the same moment): nothing was written."""


def _rule(label, field: str, **kwargs) -> TextRule:
    return TextRule(label, REASON_MAX, field, is_multiline=True, error=LineageError, **kwargs)


REASON = _rule(_l("La raison de l'abandon"), "reason", required=_l("Indiquez pourquoi cette fiche est abandonnée."))
EVIDENCE = _rule(_l("Ce qui montre que l'action est réalisée"), "evidence",
                 required=_l("Indiquez ce qui montre que l'action est réalisée."))
NOTE = _rule(_l("La note"), "note")
PROPOSAL_NOTE = _rule(_l("Le message pour l'animation"), "note")
REFUSAL = _rule(_l("Le motif du refus"), "reason")


def check_later(source: Edition, target: Edition) -> None:
    if source.id == target.id:
        raise LineageError(_("On ne reprend pas une fiche dans sa propre édition (%(edition)s) : "
                             "choisissez un atelier d'une édition suivante.", edition=target.name))
    if target.held_on <= source.held_on:
        raise LineageError(_("%(target)s n'est pas postérieure à %(source)s : on ne reprend une fiche "
                             "que dans une édition suivante.", target=target.name, source=source.name))


# --- graph ------------------------------------------------------------------------------------

# What a lineage shows of each link (both ends with their edition, who decided): loaded with
# the links, so that walking a lineage and displaying it costs one query per generation.
LINK_DISPLAY = (
    selectinload(LineageLink.source).selectinload(Entry.edition),
    selectinload(LineageLink.target).selectinload(Entry.edition),
    selectinload(LineageLink.decided_by),
)


def _links_touching(entry_ids: set[int], upwards: bool) -> list[LineageLink]:
    if not entry_ids:
        return []
    if upwards:
        where = (LineageLink.target_entry_id.in_(entry_ids), LineageLink.source_entry_id.is_not(None))
    else:
        where = (LineageLink.source_entry_id.in_(entry_ids),)
    return db.session.scalars(sa.select(LineageLink).where(*where).options(*LINK_DISPLAY)).all()


def walk(entry: Entry, upwards: bool) -> list[LineageLink]:
    """Every link above (ancestors) or below (descendants) an entry, breadth first, each once."""
    seen_links: dict[int, LineageLink] = {}
    seen_entries = {entry.id}
    frontier = {entry.id}
    while frontier:
        next_frontier = set()
        for link in _links_touching(frontier, upwards):
            if link.id in seen_links:
                continue
            seen_links[link.id] = link
            nxt = link.source_entry_id if upwards else link.target_entry_id
            if nxt not in seen_entries:
                seen_entries.add(nxt)
                next_frontier.add(nxt)
        frontier = next_frontier
    return list(seen_links.values())


def ancestor_ids(entry: Entry) -> set[int]:
    return {link.source_entry_id for link in walk(entry, upwards=True)}


# --- decision log -------------------------------------------------------------------------------

def log_decision(decision: Decision, *, entry: Entry | None, source: Entry | None = None,
                 related: Entry | None = None, actor: User | None, summary: str, reason: str = "",
                 evidence: str = "", at: datetime | None = None) -> DecisionLog:
    """Append to the decision log, which is also what the entry's history shows of a decision."""
    row = DecisionLog(
        decision=decision, entry_id=entry.id if entry else None, source_entry_id=source.id if source else None,
        related_entry_id=related.id if related else None, summary=shorten(summary, DECISION_SUMMARY_MAX),
        reason=reason, evidence=evidence, actor_id=actor.id if actor else None, created_at=at or utcnow(),
    )
    db.session.add(row)
    return row


# --- carrying ---------------------------------------------------------------------------------

def load_entries(ids: Iterable[int | str]) -> list[Entry]:
    """Entries by id, in the given order; refuses ids that do not (or no longer) exist."""
    wanted: dict[str, int | None] = {}
    for raw in ids:
        text = str(raw).strip()
        if not (text.isascii() and text.isdigit()):
            raise LineageError(_("Identifiant de fiche invalide : « %(value)s ».", value=shorten(text, 40)))
        wanted.setdefault(text.lstrip("0") or "0", parse_int(text, minimum=0))
    known = storable_ids(i for i in wanted.values() if i is not None)
    found = {e.id: e for e in db.session.scalars(sa.select(Entry).where(Entry.id.in_(known)))} if known else {}
    missing = [shorten(text, 40) for text, value in wanted.items() if value not in found]
    if missing:
        raise LineageError(_("Cette fiche n'existe plus : n° %(ids)s. Rechargez la page et refaites votre "
                             "sélection.", ids=", ".join(missing)))
    return [found[value] for value in wanted.values()]


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
    """The entries a carry form names, all taken from `source`; refused in French otherwise."""
    if source is None:
        raise LineageError(_("Cet atelier d'origine n'existe plus."), "source")
    if mode is CarryMode.KIND and kind is None:
        raise LineageError(_("Choisissez la nature à reprendre."), "kind")
    offered = select_sources(source, kind=kind if mode is CarryMode.KIND else None)
    if mode is not CarryMode.SELECTED:
        return offered
    chosen = load_entries(entry_ids)
    offered_ids = {e.id for e in offered}
    foreign = [e for e in chosen if e.id not in offered_ids]
    if foreign:
        # Only what the form offered: naming the id of another workshop's (or an archived)
        # entry must not carry it.
        raise LineageError(_("« %(title)s » n'est pas une fiche publiée de l'atelier d'origine choisi.",
                             title=foreign[0].title), "entries")
    return chosen


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


def claim_carries(sources: list[Entry], edition: Edition, author: User | None, when: datetime) -> None:
    """Record that `sources` are carried into `edition`, or fail if someone just did it.

    The unique (source, edition) pair is the database's guarantee; inserting with ON CONFLICT
    DO NOTHING tells a lost race apart without an IntegrityError poisoning the session.
    """
    rows = [{"source_entry_id": s.id, "edition_id": edition.id, "created_at": when,
             "created_by_id": author.id if author else None} for s in sources]
    if insert_or_ignore(Carry.__table__, rows, ["source_entry_id", "edition_id"]) != len(rows):
        raise LineageConflict(_("Une de ces fiches vient d'être reprise dans %(edition)s par quelqu'un d'autre : "
                                "rechargez la page.", edition=edition.name), "entries")


def carry_entries(sources: list[Entry], *, target: Workshop, author: User | None,
                  at: datetime | None = None) -> list[LineageLink]:
    """Copy `sources` into workshop `target` of a later edition, each linked to its origin (à décider)."""
    check_carry(sources, target)
    return _copy_into(sources, target, author, at or utcnow())


def _copy_into(sources: list[Entry], target: Workshop, author: User | None, when: datetime) -> list[LineageLink]:
    """The carry itself, once `check_carry` accepted it."""
    edition = target.edition
    claim_carries(sources, edition, author, when)
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
        link = LineageLink(source=source, target=copy, decision=Decision.PENDING, created_at=when,
                           created_by_id=author.id if author else None)
        db.session.add(link)
        links.append(link)
        if source.kind.is_action:
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
    note = PROPOSAL_NOTE.clean(note)
    pending = set(db.session.scalars(sa.select(CarryProposal.source_entry_id).where(
        CarryProposal.target_workshop_id == target.id, CarryProposal.status == ProposalStatus.PENDING,
        CarryProposal.source_entry_id.in_([s.id for s in sources]))))
    for source in sources:
        if source.id in pending:
            raise LineageError(_("La reprise de « %(title)s » dans cet atelier est déjà proposée et attend "
                                 "la réponse d'un·e animateur·rice.", title=source.title), "entries")
    proposals = [CarryProposal(source=s, target_workshop=target, proposed_by=author, note=note) for s in sources]
    db.session.add_all(proposals)
    db.session.flush()
    return proposals


def _answer(proposal: CarryProposal, status: ProposalStatus, actor: User) -> None:
    """Move the proposal out of "pending", or fail if another answer was given first: a
    proposal accepted and refused at the same moment would otherwise end up both."""
    if not proposal.status.is_pending:
        raise LineageConflict(_("Cette proposition a déjà reçu une réponse (%(status)s).",
                                status=proposal.status.label.lower()))
    if not claim(proposal, "status", ProposalStatus.PENDING, status):
        db.session.refresh(proposal)
        raise LineageConflict(_("Cette proposition a déjà reçu une réponse (%(status)s).",
                                status=proposal.status.label.lower()))
    proposal.decided_by = actor
    proposal.decided_at = utcnow()


def accept_proposal(proposal: CarryProposal, *, actor: User) -> LineageLink:
    check_carry([proposal.source], proposal.target_workshop)
    _answer(proposal, ProposalStatus.ACCEPTED, actor)
    return _copy_into([proposal.source], proposal.target_workshop, actor, utcnow())[0]


def refuse_proposal(proposal: CarryProposal, *, actor: User, reason: str = "") -> None:
    reason = REFUSAL.clean(reason)
    _answer(proposal, ProposalStatus.REFUSED, actor)
    proposal.refusal_reason = reason
    db.session.flush()
