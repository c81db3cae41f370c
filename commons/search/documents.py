"""Document types: how a database row becomes an index document.

A new searchable thing (a synthesis, a structure...) is one more `DocType` in `REGISTRY`
plus, in hooks.py, the models whose changes touch it: the index, the outbox, the
applier and the search code do not change.

Loaders read with Core queries on a plain connection, in batches: the applier runs after
the request's commit (on its own connection), and a full reindex of 100,000 entries must
not build 100,000 ORM objects.
"""
from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import url_for
from flask_babel import lazy_gettext as _l

from commons.editions.models import Edition, GuidingQuestion, Structure, Workshop, workshop_structures
from commons.entries.models import Entry, EntryStatus, Tag, entry_tags
from commons.lineage.models import Decision, LineageLink

BATCH = 1000
Fields = dict[str, object]

_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_MARKS = re.compile(r"(^|\s)(#{1,6}|>|[-*+]|\d+\.)\s+|[*_`~|]+|<[^>]{0,200}>", re.MULTILINE)

# Workshops and editions are always public: they are indexed with the entries' published status.
PUBLISHED = EntryStatus.PUBLISHED.value


def markdown_to_text(text: str) -> str:
    """Plain text of Markdown, cheaply: what a reader sees, for matching and excerpts.

    A regex pass, not a renderer: a full render with bleach costs ~1 ms per entry, which a
    100,000-entry reindex cannot afford, and stray punctuation does not hurt matching.
    """
    text = _MD_LINK.sub(r"\1", text or "")
    text = _MD_MARKS.sub(r"\1", text)
    return " ".join(text.split())


@dataclass(frozen=True)
class DocType:
    name: str
    label: object
    model: type
    load: Callable[[sa.Connection, list[int]], dict[int, Fields]]
    all_ids: Callable[[sa.Connection], sa.Select]
    url: Callable[[dict], str]

    def iter_all(self, conn: sa.Connection, batch: int = BATCH) -> Iterator[list[Fields]]:
        ids = [row[0] for row in conn.execute(self.all_ids(conn))]
        for start in range(0, len(ids), batch):
            chunk = ids[start:start + batch]
            loaded = self.load(conn, chunk)
            yield [loaded[i] for i in chunk if i in loaded]


def doc_key(doc_type: str, doc_id: int) -> str:
    return f"{doc_type}:{doc_id}"


def _stamp(value) -> int:
    """Microseconds since 1970 (naive UTC): the sort key of the date column."""
    if value is None:
        return 0
    return int((value - _EPOCH).total_seconds() * 1_000_000)


_EPOCH = datetime(1970, 1, 1)


def _in_chunks(conn, query_for, ids: list[int], size: int = 900):
    # SQLite limits bound parameters; PostgreSQL does not care, but chunks keep plans simple.
    for start in range(0, len(ids), size):
        yield from conn.execute(query_for(ids[start:start + size]))


# --- lineages: one outcome across editions ------------------------------------------------------

# Links whose target continues its source's outcome: carried (pending), kept, reworded,
# dropped or realised. A merge or a split makes new outcomes out of old ones, which stay
# results of their own (the lineage page tells their story); a "nouveau" link has no source.
SAME_OUTCOME = (Decision.PENDING, Decision.KEPT, Decision.REWORDED, Decision.DROPPED, Decision.REALISED)
GROUPED = "1"  # value of the `grouped` field: the document may be collapsed with others


def outcome_number(lineage: str) -> int:
    """A lineage key as a number for the `outcome` column (outcomes.py reads numbers, not
    strings): 64 bits of its hash, never 0, which means "not grouped"."""
    number = int.from_bytes(hashlib.blake2b(lineage.encode(), digest_size=8).digest(), "big", signed=True)
    return number or 1


def _with_outcome(doc: Fields) -> Fields:
    doc["outcome"] = outcome_number(doc["lineage"]) if doc.get("grouped") == GROUPED else 0
    doc["year_number"] = int(doc["year"]) if str(doc.get("year", "")).isdigit() else 0
    return doc


def _lineage_edges(conn: sa.Connection, ids: set[int]) -> set[tuple[int, int]]:
    link = LineageLink.__table__
    query = lambda chunk: (  # noqa: E731
        sa.select(link.c.source_entry_id, link.c.target_entry_id)
        .where(link.c.decision.in_(SAME_OUTCOME), link.c.source_entry_id.is_not(None),
               sa.or_(link.c.source_entry_id.in_(chunk), link.c.target_entry_id.in_(chunk)))
    )
    return {(a, b) for a, b in _in_chunks(conn, query, sorted(ids), size=450)}


def lineage_roots(conn: sa.Connection, entry_ids) -> dict[int, int]:
    """entry id → the smallest entry id of its lineage (the entries linked to it through
    links of the same outcome, in any direction), for the given entries and every entry of
    their lineages; an entry without such a link is its own root."""
    parent: dict[int, int] = {i: i for i in entry_ids if i is not None}
    frontier = set(parent)
    while frontier:
        edges = _lineage_edges(conn, frontier)
        frontier = {i for edge in edges for i in edge} - parent.keys()
        parent.update((i, i) for i in frontier)
        for a, b in edges:
            ra, rb = _find(parent, a), _find(parent, b)
            parent[max(ra, rb)] = min(ra, rb)
    return {i: _find(parent, i) for i in parent}


def _find(parent: dict[int, int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def lineage_keys(conn: sa.Connection, entry_ids) -> list[tuple[str, int]]:
    """The entry documents of the given entries' lineages: what a lineage change reindexes."""
    return [("entry", i) for i in lineage_roots(conn, entry_ids)]


def link_lineage_keys(conn: sa.Connection, link_ids: list[int]) -> list[tuple[str, int]]:
    """The entry documents of the lineages the given links join (hooks.py, a link changed)."""
    link = LineageLink.__table__
    ends = conn.execute(sa.select(link.c.source_entry_id, link.c.target_entry_id).where(link.c.id.in_(link_ids)))
    return lineage_keys(conn, {i for row in ends for i in row if i is not None})


def _entry_lineages(conn: sa.Connection, ids: list[int]) -> dict[int, str]:
    """entry id → its lineage key, for the entries whose lineage has more than one entry."""
    roots = lineage_roots(conn, ids)
    sizes: dict[int, int] = defaultdict(int)
    for root in roots.values():
        sizes[root] += 1
    return {i: doc_key("entry", roots[i]) for i in ids if sizes[roots.get(i, i)] > 1}


# --- entries -----------------------------------------------------------------------------------

def _load_entries(conn: sa.Connection, ids: list[int]) -> dict[int, Fields]:
    e, ed, w = Entry.__table__, Edition.__table__, Workshop.__table__
    query = lambda chunk: (  # noqa: E731
        sa.select(e.c.id, e.c.title, e.c.body, e.c.kind, e.c.status, e.c.updated_at,
                  ed.c.slug, ed.c.name, ed.c.year, w.c.slug, w.c.title)
        .select_from(e.join(ed, ed.c.id == e.c.edition_id).outerjoin(w, w.c.id == e.c.workshop_id))
        .where(e.c.id.in_(chunk))
    )
    tags: dict[int, list[tuple[str, str]]] = defaultdict(list)
    tag_query = lambda chunk: (  # noqa: E731
        sa.select(entry_tags.c.entry_id, Tag.slug, Tag.name)
        .join(Tag, Tag.id == entry_tags.c.tag_id).where(entry_tags.c.entry_id.in_(chunk))
    )
    for entry_id, slug, name in _in_chunks(conn, tag_query, ids):
        tags[entry_id].append((slug, name))
    lineages = _entry_lineages(conn, ids)
    docs = {}
    for (entry_id, title, body, kind, status, updated_at, ed_slug, ed_name, year,
         ws_slug, ws_title) in _in_chunks(conn, query, ids):
        entry_tags_ = sorted(tags.get(entry_id, ()))
        tag_names = " ".join(name for _, name in entry_tags_)
        text = markdown_to_text(body)
        doc = {
            "key": doc_key("entry", entry_id), "type": "entry", "doc_id": entry_id,
            "title": title, "tag_text": tag_names, "body": text,
            # Core returns the stored enum value, or the enum itself depending on the column type.
            "kind": getattr(kind, "value", kind), "status": getattr(status, "value", status),
            "edition": ed_slug, "year": str(year), "edition_name": ed_name,
            "date": updated_at, "sort_date": _stamp(updated_at),
            "lineage": lineages.get(entry_id, doc_key("entry", entry_id)),
        }
        if entry_id in lineages:
            doc["grouped"] = GROUPED
        if entry_tags_:
            doc["tag"] = " ".join(slug for slug, _ in entry_tags_)
        if ws_slug:
            doc.update(workshop=f"{ed_slug}/{ws_slug}", workshop_slug=ws_slug, workshop_title=ws_title)
        docs[entry_id] = _with_outcome(doc)
    return docs


# --- workshops ---------------------------------------------------------------------------------

def _load_workshops(conn: sa.Connection, ids: list[int]) -> dict[int, Fields]:
    w, ed = Workshop.__table__, Edition.__table__
    extra: dict[int, list[str]] = defaultdict(list)
    q_questions = lambda chunk: (  # noqa: E731
        sa.select(GuidingQuestion.workshop_id, GuidingQuestion.text).where(GuidingQuestion.workshop_id.in_(chunk))
    )
    q_structures = lambda chunk: (  # noqa: E731
        sa.select(workshop_structures.c.workshop_id, Structure.name)
        .join(Structure, Structure.id == workshop_structures.c.structure_id)
        .where(workshop_structures.c.workshop_id.in_(chunk))
    )
    for workshop_id, text in _in_chunks(conn, q_questions, ids):
        extra[workshop_id].append(text)
    for workshop_id, name in _in_chunks(conn, q_structures, ids):
        extra[workshop_id].append(name)
    query = lambda chunk: (  # noqa: E731
        sa.select(w.c.id, w.c.slug, w.c.title, w.c.description, w.c.report, w.c.axis, w.c.updated_at,
                  ed.c.slug, ed.c.name, ed.c.year)
        .join(ed, ed.c.id == w.c.edition_id).where(w.c.id.in_(chunk))
    )
    docs = {}
    for (workshop_id, slug, title, description, report, axis, updated_at,
         ed_slug, ed_name, year) in _in_chunks(conn, query, ids):
        text = " ".join(filter(None, [markdown_to_text(description), markdown_to_text(report), axis,
                                      *extra.get(workshop_id, ())]))
        docs[workshop_id] = _with_outcome({
            "key": doc_key("workshop", workshop_id), "type": "workshop", "doc_id": workshop_id,
            "title": title, "body": text, "status": PUBLISHED,
            "edition": ed_slug, "year": str(year), "edition_name": ed_name,
            "workshop": f"{ed_slug}/{slug}", "workshop_slug": slug, "workshop_title": title,
            "date": updated_at, "sort_date": _stamp(updated_at),
            # A programme copied to the next edition keeps its sessions' slugs: one session.
            "lineage": f"workshop:{slug}", "grouped": GROUPED,
        })
    return docs


# --- editions ----------------------------------------------------------------------------------

def _load_editions(conn: sa.Connection, ids: list[int]) -> dict[int, Fields]:
    ed = Edition.__table__
    query = lambda chunk: (  # noqa: E731
        sa.select(ed.c.id, ed.c.slug, ed.c.name, ed.c.year, ed.c.place, ed.c.venue, ed.c.description,
                  ed.c.updated_at).where(ed.c.id.in_(chunk))
    )
    docs = {}
    for edition_id, slug, name, year, place, venue, description, updated_at in _in_chunks(conn, query, ids):
        text = " ".join(filter(None, [place, venue, markdown_to_text(description)]))
        docs[edition_id] = _with_outcome({
            "key": doc_key("edition", edition_id), "type": "edition", "doc_id": edition_id,
            "title": name, "body": text, "status": PUBLISHED,
            "edition": slug, "year": str(year), "edition_name": name,
            "date": updated_at, "sort_date": _stamp(updated_at), "lineage": doc_key("edition", edition_id),
        })
    return docs


def _workshop_url(doc: dict) -> str:
    edition_slug, _, workshop_slug = doc["workshop"].partition("/")
    return url_for("editions.workshop", edition_slug=edition_slug, workshop_slug=workshop_slug)


REGISTRY: dict[str, DocType] = {
    dt.name: dt for dt in (
        DocType("entry", _l("Fiche"), Entry, _load_entries,
                lambda conn: sa.select(Entry.id).order_by(Entry.id),
                lambda doc: url_for("entries.show", entry_id=doc["doc_id"])),
        DocType("workshop", _l("Atelier"), Workshop, _load_workshops,
                lambda conn: sa.select(Workshop.id).order_by(Workshop.id), _workshop_url),
        DocType("edition", _l("Édition"), Edition, _load_editions,
                lambda conn: sa.select(Edition.id).order_by(Edition.id),
                lambda doc: url_for("editions.edition", slug=doc["edition"])),
    )
}


def load_documents(conn: sa.Connection, keys: set[tuple[str, int]]) -> dict[tuple[str, int], Fields | None]:
    """Current state of each (type, id): its fields, or None when it must leave the index."""
    by_type: dict[str, list[int]] = defaultdict(list)
    for doc_type, doc_id in keys:
        by_type[doc_type].append(doc_id)
    out: dict[tuple[str, int], Fields | None] = {}
    for doc_type, ids in by_type.items():
        dt = REGISTRY.get(doc_type)
        loaded = dt.load(conn, sorted(ids)) if dt else {}
        for doc_id in ids:
            out[(doc_type, doc_id)] = loaded.get(doc_id)
    return out


def count_all(conn: sa.Connection) -> int:
    return sum(conn.execute(sa.select(sa.func.count()).select_from(dt.model)).scalar_one() for dt in REGISTRY.values())
