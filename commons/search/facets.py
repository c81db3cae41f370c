"""Facet counts from per-document columns, counted with numpy.

Counting "how many matches per kind, edition, workshop, tag…" used to intersect the matches
with one document set per facet value, sets built from posting lists read block by block:
about half a second of Python for the first search of a worker at 100,000 entries (≈800,000
memberships), and the largest part of a cold search after it. Here every facet field is also
a Whoosh `RefBytesColumn` (schema.py): per segment, the list of its distinct values and one
small reference per document, read in one go with `numpy.frombuffer`. A segment's arrays are
kept for its life (segments never change); one index generation joins them into one array per
field, and counting is `numpy.bincount` over the matches.

Tags have several values per document and no column: their posting lists are read once per
segment into (document, tag) pairs, which are also saved beside the index folder's segments
(`facets/<segment>-tag.npz`), so that a worker that starts, or the next generation, loads
them in a millisecond instead of reading postings again; the applier and a rebuild write them
off the request path (`warm`). A segment whose column overflowed (at most 65,536 distinct
values a segment) is read from its posting lists too: slower, same result.
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.ma  # noqa: F401  (np.unique imports it on first use: 35 ms of a worker's first search)

from commons.search.docsets import _read_postings
from commons.search.docsets import segment_key as _segment_key
from commons.search.schema import FACETS, SINGLE_FACETS

FACET_DIR = "facets"
_REF_LIMIT = 65536  # RefBytesColumn's most distinct values in a segment (beyond: dropped)


@dataclass(frozen=True)
class _Segment:
    """One segment's facet field: its values, and which document has which (local numbers)."""

    values: list[str]
    docs: np.ndarray  # document numbers in the segment (int32)
    codes: np.ndarray  # index into `values` of each pair (int32)


@dataclass(frozen=True)
class Facet:
    """One facet field over every document of a generation: (document, value code) pairs."""

    values: list[str]
    docs: np.ndarray
    codes: np.ndarray

    def among(self, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The (document, value code) pairs of the documents set in `mask`."""
        chosen = mask[self.docs]
        return self.docs[chosen], self.codes[chosen]


class Facets:
    """The facet fields of one searcher (one index generation)."""

    def __init__(self, segment_cache: dict, searcher):
        self.size = searcher.reader().doc_count_all()
        leaves = searcher.reader().leaf_readers()
        disk = getattr(searcher, "_commons_folder", None)
        disk = Path(disk) / FACET_DIR if disk is not None else None
        self.fields = {name: _joined(segment_cache, leaves, name, disk) for name in FACETS}
        self._having: dict = {}

    def mask(self, docs) -> np.ndarray:
        """A boolean array over every document, true for `docs`."""
        out = np.zeros(self.size, dtype=bool)
        if docs:
            out[np.fromiter(docs, dtype=np.int64, count=len(docs))] = True
        return out

    def having(self, name: str, values: list[str]) -> np.ndarray:
        """A mask of the documents whose `name` is one of `values` (kept for the generation)."""
        key = (name, tuple(sorted(values)))
        found = self._having.get(key)
        if found is None:
            facet = self.fields[name]
            wanted = [i for i, v in enumerate(facet.values) if v in set(values)]
            found = np.zeros(self.size, dtype=bool)
            found[facet.docs[np.isin(facet.codes, wanted)]] = True
            self._having[key] = found
        return found

    def counts(self, name: str, mask: np.ndarray, lineages) -> list[tuple[str, int]]:
        """(value, outcomes) of a facet among the documents set in `mask`, most first."""
        facet = self.fields[name]
        return lineages.counts(facet.values, facet.among(mask))


def facets(segment_cache: dict, searcher) -> Facets:
    """The searcher's Facets, made once and kept on it (retired with it)."""
    found = getattr(searcher, "_commons_facets", None)
    if found is None:
        found = searcher._commons_facets = Facets(segment_cache, searcher)
    return found


def warm(segment_cache: dict, searcher, folder: Path) -> None:
    """Read (and save) the facets of the searcher's segments, and delete the saved facets of
    segments merged away: called after an index commit, off the request path."""
    searcher._commons_folder = folder
    facets(segment_cache, searcher)
    live = {str(_segment_key(reader)) for reader, _ in searcher.reader().leaf_readers()}
    # Only files older than a minute: a younger one may belong to a segment that another
    # process committed after this searcher was opened.
    old = time.time() - 60
    for saved in (folder / FACET_DIR).glob("*.npz"):
        try:
            if saved.name.rsplit("-", 1)[0] not in live and saved.stat().st_mtime < old:
                saved.unlink()
        except FileNotFoundError:  # another process deleted it first
            continue


def _joined(segment_cache: dict, leaves, name: str, disk: Path | None) -> Facet:
    parts = []
    for reader, offset in leaves:
        key = (_segment_key(reader), "facet", name)
        part = segment_cache.get(key)
        if part is None:
            part = segment_cache[key] = _segment(reader, name, disk)
        parts.append((part, offset))
    values = sorted({v for part, _ in parts for v in part.values})
    index = {v: i for i, v in enumerate(values)}
    docs, codes = [], []
    for part, offset in parts:
        local = np.array([index[v] for v in part.values], dtype=np.int32)
        docs.append(part.docs + offset)
        codes.append(local[part.codes] if len(local) else part.codes)
    if not parts:
        return Facet(values, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32))
    return Facet(values, np.concatenate(docs).astype(np.int64), np.concatenate(codes))


def _segment(reader, name: str, disk: Path | None) -> _Segment:
    """A segment's facet field: from its column, else saved beside it, else from its postings."""
    if name in SINGLE_FACETS and not reader.has_column(name):
        # Whoosh writes a column once a document has a value: none here (the schema version
        # guarantees the index was written with these columns).
        return _Segment([], np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32))
    column = _ref_column(reader, name) if name in SINGLE_FACETS else None
    if column is not None:
        uniques, refs = column
        present = refs != 0  # reference 0 is the default: no value
        return _Segment(uniques[1:], np.flatnonzero(present).astype(np.int32), (refs[present] - 1).astype(np.int32))
    path = disk / f"{_segment_key(reader)}-{name}.npz" if disk is not None else None
    part = _load(path) if path is not None else None
    if part is None:
        part = _from_postings(reader, name)
        if path is not None:
            _save(path, part)
    return part


def _load(path: Path) -> _Segment | None:
    try:
        with np.load(path) as saved:
            return _Segment(saved["values"].tolist(), saved["docs"], saved["codes"])
    except (OSError, ValueError, KeyError):  # not saved yet, or half written by a killed process
        return None


def _save(path: Path, part: _Segment) -> None:
    """Write to a temporary name, then rename: a reader sees the whole file or none."""
    try:
        path.parent.mkdir(exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        with open(temporary, "wb") as fh:
            np.savez(fh, values=np.array(part.values, dtype=str), docs=part.docs, codes=part.codes)
        os.replace(temporary, path)
    except OSError:  # a read-only or full disk: the facets still work, from postings
        return


def _ref_column(reader, name: str) -> tuple[list[str], np.ndarray] | None:
    """(distinct values, one reference per document) of a segment's RefBytesColumn; None when
    it overflowed (more distinct values than it can hold: some documents lost theirs)."""
    if not reader.doc_count_all():
        return None
    column = reader.column_reader(name, translate=False)
    uniques = getattr(column, "_uniques", None)
    if uniques is None or len(uniques) >= _REF_LIMIT or uniques[0] != b"":
        return None
    raw = column._dbfile.get(column._basepos, column._itemsize * column._doccount)
    refs = np.frombuffer(raw, dtype=">u1" if column._itemsize == 1 else ">u2").astype(np.int32)
    return [u.decode("utf-8") for u in uniques], refs


def _from_postings(reader, name: str) -> _Segment:
    values = [v.decode("utf-8") if isinstance(v, bytes) else v for v in reader.field_terms(name)] \
        if name in reader.indexed_field_names() else []
    docs, codes = [], []
    for code, value in enumerate(values):
        ids, _weights = _read_postings(reader, name, value)
        docs.append(np.frombuffer(ids, dtype=np.uint32).astype(np.int32))
        codes.append(np.full(len(ids), code, dtype=np.int32))
    if not values:
        return _Segment([], np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32))
    return _Segment(values, np.concatenate(docs), np.concatenate(codes))
