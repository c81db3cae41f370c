"""Read side of lineage: an entry's timeline, edition comparison, the follow-up of actions.

The same structures feed the HTML pages and the JSON API, so both always say the same thing.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import aliased, selectinload

from commons.editions.models import Edition, Structure, Workshop
from commons.editions.queries import earlier_editions, editions_in_order
from commons.entries.diff import condense, diff_text
from commons.entries.models import Entry, EntryStatus
from commons.extensions import db
from commons.kinds import EntryKind
from commons.lineage.models import (
    ActionFollowUp,
    ActionStatus,
    CarryProposal,
    Decision,
    DecisionLog,
    LineageLink,
)
from commons.lineage.services import LINK_DISPLAY, walk

# The order in which a comparison lists what happened to the outcomes of edition A.
BUCKETS = (Decision.KEPT, Decision.REWORDED, Decision.MERGED, Decision.SPLIT, Decision.DROPPED,
           Decision.REALISED, Decision.PENDING, Decision.NEW)


# --- a workshop's decisions -------------------------------------------------------------------

def source_workshops(target: Workshop) -> list[Workshop]:
    """Workshops of earlier editions, latest edition first: where outcomes can be carried from."""
    return [w for e in reversed(earlier_editions(target.edition)) for w in e.workshops]


def workshop_links(workshop: Workshop) -> list[LineageLink]:
    return db.session.scalars(sa.select(LineageLink).join(Entry, LineageLink.target_entry_id == Entry.id)
                              .where(Entry.workshop_id == workshop.id)
                              .order_by(Entry.kind, Entry.position, LineageLink.id).options(*LINK_DISPLAY)).all()


def unlinked_entries(workshop: Workshop, linked_ids: set[int]) -> list[Entry]:
    """The workshop's published entries with no link yet: candidates to declare new.

    Archived entries (absorbed by a merge, whose link moved to the keeper) are not "new".
    """
    return db.session.scalars(sa.select(Entry).where(
        Entry.workshop_id == workshop.id, Entry.id.not_in(linked_ids), Entry.status == EntryStatus.PUBLISHED)
        .order_by(Entry.kind, Entry.position, Entry.id)).all()


def workshop_proposals(workshop: Workshop) -> list[CarryProposal]:
    return db.session.scalars(sa.select(CarryProposal).where(CarryProposal.target_workshop_id == workshop.id)
                              .order_by(CarryProposal.status, CarryProposal.created_at)
                              .options(selectinload(CarryProposal.source).selectinload(Entry.edition))).all()


# --- an entry's lineage -----------------------------------------------------------------------

@dataclass
class EntryLineage:
    entry: Entry
    ancestors: list[LineageLink]
    descendants: list[LineageLink]
    log: list[DecisionLog]

    @property
    def is_empty(self) -> bool:
        return not self.ancestors and not self.descendants

    @property
    def steps(self) -> list[dict]:
        """One step per entry of the lineage, in edition order, with the links that lead to it."""
        entries: dict[int, Entry] = {self.entry.id: self.entry}
        incoming: dict[int, list[LineageLink]] = defaultdict(list)
        for link in self.ancestors + self.descendants:
            if link.source is not None:
                entries[link.source.id] = link.source
            entries[link.target.id] = link.target
            incoming[link.target.id].append(link)
        ordered = sorted(entries.values(), key=lambda e: (e.edition.held_on, e.edition_id, e.position, e.id))
        return [{"entry": e, "is_current": e.id == self.entry.id, "links": incoming.get(e.id, [])} for e in ordered]


def entry_lineage(entry: Entry) -> EntryLineage:
    ancestors = walk(entry, upwards=True)
    descendants = walk(entry, upwards=False)
    # A "nouveau" link has no source, so the upward walk does not see it.
    new = db.session.scalars(sa.select(LineageLink).where(
        LineageLink.target_entry_id == entry.id, LineageLink.source_entry_id.is_(None)).options(*LINK_DISPLAY)).all()
    ids = {entry.id}
    for link in ancestors + descendants:
        ids.update(i for i in (link.source_entry_id, link.target_entry_id) if i)
    log = db.session.scalars(sa.select(DecisionLog).where(DecisionLog.entry_id.in_(ids))
                             .order_by(DecisionLog.created_at, DecisionLog.id)
                             .options(selectinload(DecisionLog.actor))).all()
    return EntryLineage(entry, ancestors + list(new), descendants, list(log))


def link_json(link: LineageLink) -> dict:
    return {
        "source": entry_json(link.source) if link.source else None,
        "target": entry_json(link.target),
        "decision": link.decision.value,
        "decision_label": link.decision.label,
        "reason": link.reason or None,
        "evidence": link.evidence or None,
        "decided_by": link.decided_by.name if link.decided_by else None,
        "decided_at": link.decided_at.isoformat() + "Z" if link.decided_at else None,
    }


def entry_json(entry: Entry) -> dict:
    return {
        "id": entry.id, "title": entry.title, "kind": entry.kind.value, "status": entry.status.value,
        "edition": entry.edition.slug, "edition_name": entry.edition.name,
        "workshop": entry.workshop.slug if entry.workshop else None,
    }


# --- comparison -------------------------------------------------------------------------------

@dataclass
class KindComparison:
    kind: EntryKind
    links: dict[Decision, list[LineageLink]] = field(default_factory=lambda: defaultdict(list))
    new: list[Entry] = field(default_factory=list)
    not_carried: list[Entry] = field(default_factory=list)

    @property
    def kept(self):
        return self.links[Decision.KEPT]

    @property
    def reworded(self) -> list[dict]:
        return [{"link": link, "title_diff": diff_text(link.source.title, link.target.title),
                 "body_diff": condense(diff_text(link.source.body, link.target.body))}
                for link in self.links[Decision.REWORDED]]

    @property
    def merged(self) -> list[dict]:
        """Each merged result with all its origins."""
        groups: dict[int, dict] = {}
        for link in self.links[Decision.MERGED]:
            groups.setdefault(link.target.id, {"target": link.target, "sources": []})["sources"].append(link.source)
        return list(groups.values())

    @property
    def split(self) -> list[dict]:
        """Each split origin with all its parts."""
        groups: dict[int, dict] = {}
        for link in self.links[Decision.SPLIT]:
            groups.setdefault(link.source.id, {"source": link.source, "targets": []})["targets"].append(link.target)
        return list(groups.values())

    @property
    def counts(self) -> dict[str, int]:
        counts = {d.value: len(self.links[d]) for d in BUCKETS if d is not Decision.NEW}
        counts[Decision.MERGED.value + "_results"] = len(self.merged)
        counts[Decision.SPLIT.value] = len(self.split)  # origins, like the other buckets
        counts[Decision.SPLIT.value + "_results"] = len({l.target_entry_id for l in self.links[Decision.SPLIT]})
        counts[Decision.NEW.value] = len(self.new)
        counts["non_repris"] = len(self.not_carried)
        return counts

    @property
    def is_empty(self) -> bool:
        return not any(self.links.values()) and not self.new and not self.not_carried


@dataclass
class Comparison:
    a: Edition
    b: Edition
    kinds: list[KindComparison]

    @property
    def is_backwards(self) -> bool:
        return self.a.held_on > self.b.held_on

    @property
    def totals(self) -> dict[str, int]:
        totals: dict[str, int] = defaultdict(int)
        for kind in self.kinds:
            for key, value in kind.counts.items():
                totals[key] += value
        return dict(totals)


def _published_in(edition: Edition) -> list[Entry]:
    return db.session.scalars(sa.select(Entry).where(
        Entry.edition_id == edition.id, Entry.status == EntryStatus.PUBLISHED).order_by(Entry.position, Entry.id)).all()


def compare_editions(a: Edition, b: Edition) -> Comparison:
    source, target = aliased(Entry), aliased(Entry)
    links = db.session.scalars(
        sa.select(LineageLink).join(source, LineageLink.source_entry_id == source.id)
        .join(target, LineageLink.target_entry_id == target.id)
        .where(source.edition_id == a.id, target.edition_id == b.id)
        .order_by(source.position, source.id, target.id).options(*LINK_DISPLAY)).all()
    per_kind = {kind: KindComparison(kind) for kind in EntryKind}
    carried_sources = set()
    for link in links:
        per_kind[link.source.kind].links[link.decision].append(link)
        carried_sources.add(link.source_entry_id)
    has_origin = set(db.session.scalars(sa.select(LineageLink.target_entry_id).where(
        LineageLink.source_entry_id.is_not(None))))
    for entry in _published_in(b):
        if entry.id not in has_origin:
            per_kind[entry.kind].new.append(entry)
    for entry in _published_in(a):
        if entry.id not in carried_sources:
            per_kind[entry.kind].not_carried.append(entry)
    return Comparison(a, b, [per_kind[kind] for kind in EntryKind])


def comparison_json(comparison: Comparison) -> dict:
    def kind_json(k: KindComparison) -> dict:
        return {
            "kind": k.kind.value, "label": k.kind.plural, "counts": k.counts,
            "kept": [link_json(l) for l in k.kept],
            "reworded": [dict(link_json(r["link"]), title_before=r["link"].source.title,
                              title_after=r["link"].target.title) for r in k.reworded],
            "merged": [{"target": entry_json(g["target"]), "sources": [entry_json(s) for s in g["sources"]]}
                       for g in k.merged],
            "split": [{"source": entry_json(g["source"]), "targets": [entry_json(t) for t in g["targets"]]}
                      for g in k.split],
            "dropped": [link_json(l) for l in k.links[Decision.DROPPED]],
            "realised": [link_json(l) for l in k.links[Decision.REALISED]],
            "pending": [link_json(l) for l in k.links[Decision.PENDING]],
            "new": [entry_json(e) for e in k.new],
            "not_carried": [entry_json(e) for e in k.not_carried],
        }

    return {
        "from": edition_json(comparison.a), "to": edition_json(comparison.b),
        "totals": comparison.totals, "kinds": [kind_json(k) for k in comparison.kinds],
    }


def edition_json(edition: Edition, counts: dict | None = None) -> dict:
    data = {
        "slug": edition.slug, "name": edition.name, "year": edition.year, "place": edition.place,
        "starts_on": edition.starts_on.isoformat() if edition.starts_on else None,
        "ends_on": edition.ends_on.isoformat() if edition.ends_on else None,
        "is_illustrative": edition.is_illustrative,
    }
    if counts is not None:
        data["counts"] = counts
    return data


def edition_counts() -> dict[int, dict]:
    """Per edition: workshops, published entries and entries per kind, in two grouped queries."""
    counts: dict[int, dict] = defaultdict(
        lambda: {"workshops": 0, "entries": 0, "by_kind": {k.value: 0 for k in EntryKind}})
    for edition_id, n in db.session.execute(sa.select(Entry.edition_id, sa.func.count()).select_from(Entry)
                                            .where(Entry.status == EntryStatus.PUBLISHED).group_by(Entry.edition_id)):
        counts[edition_id]["entries"] = n
    for edition_id, kind, n in db.session.execute(
            sa.select(Entry.edition_id, Entry.kind, sa.func.count()).where(Entry.status == EntryStatus.PUBLISHED)
            .group_by(Entry.edition_id, Entry.kind)):
        counts[edition_id]["by_kind"][kind.value] = n
    for edition_id, n in db.session.execute(
            sa.select(Workshop.edition_id, sa.func.count()).group_by(Workshop.edition_id)):
        counts[edition_id]["workshops"] = n
    return counts


# --- actions follow-up ------------------------------------------------------------------------

@dataclass
class ActionRow:
    entry: Entry
    decided_in: Edition
    status: ActionStatus
    owner: Structure | None
    last_link: LineageLink | None
    note: str = ""
    version: int = 0  # of the follow-up row: the form sends it back to detect a stale update


def _heads(status: ActionStatus | None) -> sa.Select:
    """Actions at the head of their lineage (not carried further), with their follow-up row.

    Copies absorbed by a merge (archived, no link left) are skipped: their origin lives on in the merge.
    """
    carried = sa.exists().where(LineageLink.source_entry_id == Entry.id)
    has_origin = sa.exists().where(LineageLink.target_entry_id == Entry.id)
    query = (sa.select(Entry, ActionFollowUp).outerjoin(ActionFollowUp, ActionFollowUp.entry_id == Entry.id)
             .where(Entry.kind == EntryKind.ACTION, ~carried,
                    sa.or_(Entry.status != EntryStatus.ARCHIVED, has_origin)))
    if status is ActionStatus.PROPOSED:  # no follow-up row yet means proposed
        query = query.where(sa.or_(ActionFollowUp.id.is_(None), ActionFollowUp.status == status))
    elif status is not None:
        query = query.where(ActionFollowUp.status == status)
    return query


def count_actions(status: ActionStatus | None = None) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(_heads(status).subquery())) or 0


def action_rows(status: ActionStatus | None = None, limit: int | None = None, offset: int = 0) -> list[ActionRow]:
    """The latest state of every action, one row per lineage head, by status, newest edition
    first, then title; ordered, counted and cut into pages by the database."""
    editions = {e.id: n for n, e in enumerate(reversed(editions_in_order()))}
    order = sa.case({s.value: n for n, s in enumerate(ActionStatus)}, value=ActionFollowUp.__table__.c.status, else_=0)
    newest_first = sa.case(editions, value=Entry.edition_id, else_=len(editions)) if editions else sa.null()
    query = (_heads(status).order_by(order, newest_first, sa.func.lower(Entry.title), Entry.id)
             .options(selectinload(Entry.edition), selectinload(ActionFollowUp.owner)))
    if limit is not None:
        query = query.limit(limit).offset(offset)
    found = db.session.execute(query).all()
    incoming = _incoming_links([entry.id for entry, _ in found])
    rows = []
    for entry, followup in found:
        last = max(incoming.get(entry.id, []), key=lambda l: l.decided_at or l.created_at, default=None)
        rows.append(ActionRow(entry, _lineage_root(entry, incoming).edition,
                              followup.status if followup else ActionStatus.PROPOSED,
                              followup.owner if followup else None, last, followup.note if followup else "",
                              followup.version if followup else 0))
    return rows


def _incoming_links(ids: list[int]) -> dict[int, list[LineageLink]]:
    """The links into these entries and into their origins, all the way up, by target."""
    incoming: dict[int, list[LineageLink]] = defaultdict(list)
    frontier, seen = set(ids), set(ids)
    while frontier:
        links = db.session.scalars(sa.select(LineageLink).where(LineageLink.target_entry_id.in_(frontier))
                                   .options(selectinload(LineageLink.source).selectinload(Entry.edition))).all()
        for link in links:
            incoming[link.target_entry_id].append(link)
        frontier = {l.source_entry_id for l in links if l.source_entry_id} - seen
        seen |= frontier
    return incoming


def _lineage_root(entry: Entry, incoming: dict[int, list[LineageLink]]) -> Entry:
    """The first action of a lineage: up the links, the earliest origin at each step."""
    root, seen = entry, {entry.id}
    while True:
        parents = [link.source for link in incoming.get(root.id, [])
                   if link.source is not None and link.source.kind.is_action and link.source_entry_id not in seen]
        if not parents:
            return root
        root = min(parents, key=lambda e: (e.edition.held_on, e.id))
        seen.add(root.id)


def personal_decisions(user_id: int) -> list[dict]:
    """The lineage decisions a person made (RGPD export, accounts/mydata.py)."""
    rows = db.session.execute(
        sa.select(DecisionLog.entry_id, DecisionLog.decision, DecisionLog.created_at, DecisionLog.summary)
        .where(DecisionLog.actor_id == user_id).order_by(DecisionLog.created_at, DecisionLog.id)).all()
    return [{"entry_id": r.entry_id, "decision": r.decision.value, "at": r.created_at.isoformat(timespec="seconds"),
             "summary": r.summary} for r in rows]
