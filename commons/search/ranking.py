"""Ranking every match exactly and fast: BM25F over whole posting arrays with numpy.

Scored one document at a time in Python, BM25F costs ~10 µs a match: half a second for a
common word of 100,000 entries, which is why ranking used to score only a pool of likely
hits. Here a term adds its part to a score array in one vectorised step per segment: the
posting ids and weights come from the postings cache (docsets.py; numpy reads the arrays
without copying them), field lengths and dates from per-segment column arrays kept for the
segment's life. Every match is scored, so the order is exact.
"""
from __future__ import annotations

import math

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.util.numeric import _length_byte_cache

from commons.search import query as uq
from commons.search.docsets import segment_key as _segment_key

K1, B = 1.2, 0.75
# A word naming a kind ("valeurs") counts, for the entries of that kind, as a title match.
KIND_BOOST = 2.0
_LENGTH_OF_BYTE = np.array(_length_byte_cache, dtype=np.float64)


# The schema's numeric columns (fields.COLUMN): read as arrays of every document.
NUMERIC_COLUMNS = ("sort_date", "outcome", "year_number")


class Columns:
    """Per searcher: every document's date key, outcome number, year and text field
    lengths, as arrays."""

    def __init__(self, segment_cache: dict, searcher):
        leaves = searcher.reader().leaf_readers()
        self.dates = _joined(segment_cache, leaves, "sort_date")
        self.outcomes = _joined(segment_cache, leaves, "outcome")
        self.years = _joined(segment_cache, leaves, "year_number")
        self.lengths = {name: _joined(segment_cache, leaves, name) for name in uq.TEXT_FIELDS}


def columns(segment_cache: dict, searcher) -> Columns:
    """The searcher's Columns, made once and kept on it (retired with it)."""
    found = getattr(searcher, "_commons_columns", None)
    if found is None:
        found = searcher._commons_columns = Columns(segment_cache, searcher)
        live = {_segment_key(r) for r, _ in searcher.reader().leaf_readers()}
        # Merged-away segments. list() copies the keys at once: the applier's thread may be
        # adding some (facets.warm) while a request thread looks.
        for stale in [k for k in list(segment_cache) if k[0] not in live]:
            segment_cache.pop(stale, None)
    return found


def _joined(segment_cache: dict, leaves, name: str) -> np.ndarray:
    parts = []
    for reader, _offset in leaves:
        key = (_segment_key(reader), name)
        part = segment_cache.get(key)
        if part is None:
            part = segment_cache[key] = _read_column(reader, name)
        parts.append(part)
    return np.concatenate(parts) if parts else np.zeros(0)


def _read_column(reader, name: str) -> np.ndarray:
    """One segment's column in one read: numeric columns are fixed-size big-endian values
    (documents past the last written one take the default)."""
    count = reader.doc_count_all()
    if name in NUMERIC_COLUMNS:
        column = reader.column_reader(name, translate=False) if reader.has_column(name) else None
        dtype, convert = ">" + (column._typecode if column is not None else "q"), None
    else:  # Whoosh keeps field lengths as one byte a document, decoded through a table
        column = reader._perdoc._cached_reader(_lenfield(name), LENGTHS_COLUMN)
        dtype, convert = ">u1", _LENGTH_OF_BYTE
    out = np.zeros(count, dtype=np.float64 if convert is not None else np.int64)
    if column is not None and column._count:
        raw = np.frombuffer(column._dbfile.get(column._basepos, column._fixedlen * column._count), dtype=dtype)
        out[:len(raw)] = convert[raw] if convert is not None else raw
    return out


def bm25f(sets, searcher, cols: Columns, groups: list[list[str]], kinds: list[str]) -> np.ndarray:
    """Every document's BM25F score: for each term, each text field adds
    idf × tf·(k1+1) / (tf + k1·(1 − b + b·len/avglen)); stored tfs carry the field boost.
    A kind named in the query adds idf × KIND_BOOST to the entries of that kind."""
    n = max(1, searcher.doc_count())
    scores = np.zeros(len(cols.dates))
    for kind in kinds:
        idf = _idf(n, len(sets.term("kind", kind)))
        for offset, ids, _weights in sets.postings("kind", kind):
            scores[np.frombuffer(ids, dtype=np.uint32).astype(np.int64) + offset] += idf * KIND_BOOST
    for fieldname in uq.TEXT_FIELDS:
        avg = searcher.avg_field_length(fieldname) or 1.0
        lengths = cols.lengths[fieldname]
        for term in (t for group in groups for t in group):  # repeats count, as typed
            df = len(sets.term(fieldname, term))
            if not df:
                continue
            idf = _idf(n, df)
            for offset, ids, weights in sets.postings(fieldname, term):
                docs = np.frombuffer(ids, dtype=np.uint32).astype(np.int64) + offset
                tf = np.frombuffer(weights, dtype=np.float32).astype(np.float64)
                scores[docs] += idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * lengths[docs] / avg))
    return scores


def _idf(n: int, df: int) -> float:
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


def top(docs: frozenset[int], needed: int, *keys: np.ndarray) -> list[int]:
    """The first `needed` of `docs` by `keys` (each an array over every document, highest
    first, the first key deciding), then by document number: a stable, exact order."""
    if not docs or needed <= 0:
        return []
    idx = np.fromiter(docs, dtype=np.int64, count=len(docs))
    columns_ = [idx] + [-key[idx] for key in reversed(keys)]
    order = np.lexsort(columns_)[:needed]
    return idx[order].tolist()
