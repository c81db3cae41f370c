"""Read side of entries: outcome trees, browsing by workshop, kind and tag, counts, changes.

Pages load what their templates show in a fixed number of queries (selectinload), so that no
template runs a query and a page's cost does not grow with the number of entries it lists.
Only published entries are listed.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby

import sqlalchemy as sa
from sqlalchemy.orm import defer, selectinload

from commons.database import is_storable_id
from commons.editions.models import Edition, GuidingQuestion, Workshop
from commons.entries.models import Entry, EntryStatus, EntryTally, Revision, Tag, entry_tags
from commons.extensions import db
from commons.kinds import EntryKind
from commons.paging import Page

PUBLISHED = Entry.status == EntryStatus.PUBLISHED
KIND_ORDER = {kind: i for i, kind in enumerate(EntryKind)}
# Lists show titles and excerpts: the bodies (up to 100,000 characters, twice with their HTML)
# stay in the database.
LIST_ONLY = (defer(Entry.body), defer(Entry.body_html))
# The kinds in their order (valeurs first), for ORDER BY.
KIND_RANK = sa.case(*[(Entry.kind == kind, rank) for kind, rank in KIND_ORDER.items()])


# --- one entry --------------------------------------------------------------------------------

def entry_for_page(entry_id: int) -> Entry | None:
    """An entry with everything its pages show: edition, workshop, parent, sub-items, tags."""
    if not is_storable_id(entry_id):
        return None
    return db.session.scalar(sa.select(Entry).where(Entry.id == entry_id).options(
        selectinload(Entry.edition), selectinload(Entry.workshop), selectinload(Entry.parent),
        selectinload(Entry.children), selectinload(Entry.tags),
    ).execution_options(populate_existing=True))


def get_revision(entry: Entry, number: int) -> Revision | None:
    return db.session.scalar(sa.select(Revision).where(Revision.entry_id == entry.id, Revision.number == number)
                             .options(selectinload(Revision.author)))


def revisions_of(entry: Entry, page: Page) -> Sequence[Revision]:
    """One page of the entry's revisions, newest first, without the bodies (a history lists, it
    does not show). Revisions are numbered 1 to `entry.revision_number`: that is their count."""
    return db.session.scalars(
        sa.select(Revision).where(Revision.entry_id == entry.id).order_by(Revision.number.desc())
        .limit(page.per_page).offset(page.offset)
        .options(defer(Revision.body), defer(Revision.body_html), selectinload(Revision.author))
    ).all()


def workshop_titles(ids: Iterable[int | None]) -> dict[int, str]:
    """Titles of the workshops revisions point to (a revision keeps an id, not a relation)."""
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return dict(db.session.execute(sa.select(Workshop.id, Workshop.title).where(Workshop.id.in_(wanted))).all())


# --- outcome trees ---------------------------------------------------------------------------------

@dataclass
class Node:
    """A published entry with its published sub-items, to nest in a list."""

    entry: Entry
    children: list[Node] = field(default_factory=list)


def _sort_key(entry: Entry) -> tuple:
    # Positions count within one kind, so a mixed list (a tag page) goes kind by kind.
    return (KIND_ORDER[entry.kind], entry.position, entry.id)


def build_tree(entries: Iterable[Entry]) -> list[Node]:
    """Nest `entries` under their parents. An entry whose parent is not among them stays at the top,
    so that a sub-item is still listed when its parent is archived or of another kind."""
    nodes = {e.id: Node(e) for e in entries}
    roots: list[Node] = []
    for node in sorted(nodes.values(), key=lambda n: _sort_key(n.entry)):
        parent = nodes.get(node.entry.parent_id) if node.entry.parent_id is not None else None
        (parent.children if parent is not None else roots).append(node)
    return roots


# --- a workshop's outcomes, counts --------------------------------------------------------------

@dataclass
class KindGroup:
    kind: EntryKind
    questions: list[GuidingQuestion]
    nodes: list[Node]


def count_in_workshop(workshop: Workshop) -> int:
    return db.session.scalar(sa.select(sa.func.count(Entry.id)).where(PUBLISHED, Entry.workshop_id == workshop.id))


def workshop_outcomes(workshop: Workshop, page: Page) -> list[KindGroup]:
    """One page of the workshop's published entries by kind (in the kinds' order), sub-items nested."""
    entries = db.session.scalars(
        sa.select(Entry).where(PUBLISHED, Entry.workshop_id == workshop.id)
        .order_by(KIND_RANK, Entry.position, Entry.id).limit(page.per_page).offset(page.offset).options(*LIST_ONLY)
    ).all()
    by_kind: dict[EntryKind, list[Entry]] = {}
    for entry in entries:
        by_kind.setdefault(entry.kind, []).append(entry)
    return [
        KindGroup(kind, [q for q in workshop.questions if q.kind == kind], build_tree(by_kind[kind]))
        for kind in EntryKind if kind in by_kind
    ]


# Counts by edition and kind come from the tallies (tallies.py), a few rows, never a scan.
PUBLISHED_TALLY = EntryTally.status == EntryStatus.PUBLISHED.value


def edition_entry_counts() -> dict[int, int]:
    rows = db.session.execute(
        sa.select(EntryTally.edition_id, sa.func.sum(EntryTally.count)).where(PUBLISHED_TALLY)
        .group_by(EntryTally.edition_id)
    )
    return {edition_id: int(n) for edition_id, n in rows.all() if n}


def workshop_entry_counts(workshop_ids: Sequence[int]) -> dict[int, int]:
    if not workshop_ids:
        return {}
    rows = db.session.execute(
        sa.select(Entry.workshop_id, sa.func.count(Entry.id))
        .where(PUBLISHED, Entry.workshop_id.in_(workshop_ids)).group_by(Entry.workshop_id)
    )
    return dict(rows.all())


def count_in_edition(edition: Edition) -> int:
    """Every entry of the edition, archived ones included: what deleting it would lose."""
    return int(db.session.scalar(
        sa.select(sa.func.sum(EntryTally.count)).where(EntryTally.edition_id == edition.id)) or 0)


def kind_counts() -> dict[EntryKind, int]:
    rows = db.session.execute(sa.select(EntryTally.kind, sa.func.sum(EntryTally.count)).where(PUBLISHED_TALLY)
                              .group_by(EntryTally.kind))
    counts = {kind: int(n or 0) for kind, n in rows.all()}
    return {kind: counts.get(kind.value, 0) for kind in EntryKind}


# --- recent changes ---------------------------------------------------------------------------

def latest_revisions(limit: int = 10, offset: int = 0) -> Sequence[Revision]:
    """Revisions of published entries, newest first (the wiki's "recent changes")."""
    # EXISTS, not a join: SQLite would start from the published entries and sort all their
    # revisions; this way it walks the date index from the newest and stops after `limit`.
    return db.session.scalars(
        sa.select(Revision).where(sa.exists().where(Entry.id == Revision.entry_id, PUBLISHED))
        .order_by(Revision.created_at.desc(), Revision.id.desc()).limit(limit).offset(offset)
        .options(defer(Revision.body), defer(Revision.body_html), selectinload(Revision.author),
                 selectinload(Revision.entry).options(*LIST_ONLY).selectinload(Entry.edition))
    ).all()


def count_revisions() -> int:
    """Revisions of published entries, from the tallies: counting rows joins every revision."""
    return int(db.session.scalar(sa.select(sa.func.sum(EntryTally.revisions)).where(PUBLISHED_TALLY)) or 0)


# --- kinds and tags across editions -----------------------------------------------------------------

@dataclass
class WorkshopGroup:
    workshop: Workshop | None
    nodes: list[Node]


@dataclass
class EditionGroup:
    edition: Edition
    workshops: list[WorkshopGroup]


def _group_by_edition(entries: Sequence[Entry]) -> list[EditionGroup]:
    """Newest edition first, then the programme's order; entries without a workshop last."""
    def edition_key(e: Entry):
        held_on, edition_id = e.edition.chronological_key
        return (-held_on.toordinal(), -edition_id)

    def workshop_key(e: Entry):
        w = e.workshop
        return (w is None, (w.starts_at or datetime.min, w.room, w.id) if w else ())

    groups = []
    for _, in_edition in groupby(sorted(entries, key=edition_key), key=edition_key):
        in_edition = list(in_edition)
        workshops = [
            WorkshopGroup(items[0].workshop, build_tree(items))
            for items in (list(g) for _, g in groupby(sorted(in_edition, key=workshop_key), key=workshop_key))
        ]
        groups.append(EditionGroup(in_edition[0].edition, workshops))
    return groups


def _listing(where, page: Page) -> list[Entry]:
    """One page of published entries across editions: newest edition first, then the programme's
    order (entries without a workshop last), then kind and position; what the groups show loaded."""
    query = (
        sa.select(Entry).join(Edition, Edition.id == Entry.edition_id)
        .outerjoin(Workshop, Workshop.id == Entry.workshop_id).where(PUBLISHED, *where)
        .order_by(Edition.year.desc(), Edition.starts_on.desc().nulls_last(), Edition.id.desc(),
                  Entry.workshop_id.is_(None), Workshop.starts_at.asc().nulls_first(), Workshop.room, Workshop.id,
                  KIND_RANK, Entry.position, Entry.id)
        .limit(page.per_page).offset(page.offset)
        .options(selectinload(Entry.edition), selectinload(Entry.workshop), selectinload(Entry.tags), *LIST_ONLY)
    )
    return list(db.session.scalars(query))


def count_of_kind(kind: EntryKind) -> int:
    return kind_counts()[kind]


def entries_of_kind(kind: EntryKind, page: Page) -> list[EditionGroup]:
    return _group_by_edition(_listing([Entry.kind == kind], page))


def tag_counts() -> list[tuple[Tag, int]]:
    """Tags that label at least one published entry, alphabetically, with that number."""
    count = sa.func.count(Entry.id).label("n")
    rows = db.session.execute(
        sa.select(Tag, count).join(entry_tags, entry_tags.c.tag_id == Tag.id)
        .join(Entry, Entry.id == entry_tags.c.entry_id).where(PUBLISHED)
        .group_by(Tag.id).order_by(Tag.slug)
    )
    return [(tag, n) for tag, n in rows.all()]


def get_tag(slug: str) -> Tag | None:
    return db.session.scalar(sa.select(Tag).where(Tag.slug == slug))


def count_with_tag(tag: Tag) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(entry_tags).join(Entry, Entry.id == entry_tags.c.entry_id)
        .where(PUBLISHED, entry_tags.c.tag_id == tag.id)
    ) or 0


def entries_with_tag(tag: Tag, page: Page) -> list[EditionGroup]:
    tagged = sa.select(entry_tags.c.entry_id).where(entry_tags.c.tag_id == tag.id)
    return _group_by_edition(_listing([Entry.id.in_(tagged)], page))


def personal_contributions(user_id: int) -> list[dict]:
    """What a person wrote (RGPD export, accounts/mydata.py): each revision they authored."""
    rows = db.session.execute(
        sa.select(Revision.entry_id, Revision.number, Revision.created_at, Revision.title, Revision.summary)
        .where(Revision.author_id == user_id).order_by(Revision.created_at, Revision.id)).all()
    return [{"entry_id": r.entry_id, "revision": r.number, "at": r.created_at.isoformat(timespec="seconds"),
             "title": r.title, "summary": r.summary, "url": f"/fiches/{r.entry_id}"} for r in rows]


def count_revisions_by(user_id: int) -> int:
    """Versions a person wrote of published entries (their public profile)."""
    return db.session.scalar(sa.select(sa.func.count(Revision.id)).join(Revision.entry)
                             .where(PUBLISHED, Revision.author_id == user_id)) or 0


def revisions_by(user_id: int, limit: int, offset: int) -> Sequence[Revision]:
    return db.session.scalars(
        sa.select(Revision).join(Revision.entry).where(PUBLISHED, Revision.author_id == user_id)
        .order_by(Revision.created_at.desc(), Revision.id.desc()).limit(limit).offset(offset)
        .options(defer(Revision.body), defer(Revision.body_html),
                 selectinload(Revision.entry).options(*LIST_ONLY).selectinload(Entry.edition))
    ).all()
