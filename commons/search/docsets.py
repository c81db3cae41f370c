"""Set algebra over posting lists: which documents match, in C speed (facets.py counts them).

Whoosh matchers walk postings one document at a time in Python: fine for the top 10 of a
selective query, slow (hundreds of ms) for "every document containing 'numérique'" on
100,000 entries, which facets need. Here a term's postings are read block by block into
arrays once per segment (segments never change; deletions are subtracted), turned into
Python sets per searcher, and queries become unions, intersections and differences.
"""
from __future__ import annotations

import sys
from array import array
from bisect import bisect_left
from collections import OrderedDict

from whoosh import query as wq

# Default budgets in bytes, when the configuration does not size them (SEARCH_CACHE_MB).
POSTINGS_BYTES = 48 * 2**20
SETS_BYTES = 96 * 2**20
# Segments of at least this many documents, from the first one on, are the "head": their
# document sets are kept across index generations (their offsets do not move, see
# store.merge_small_keep_order). The smaller segments after them, the "tail", are what
# recent commits added: their sets are made again for each generation, cheaply.
HEAD_MIN_DOCS = 2000


class ByteLRU:
    """A least-recently-used mapping bounded by the bytes its values take."""

    def __init__(self, limit: int):
        self.limit = limit
        self.size = 0
        self._items: OrderedDict = OrderedDict()

    def get(self, key):
        hit = self._items.get(key)
        if hit is not None:
            self._items.move_to_end(key)
            return hit[0]
        return None

    def put(self, key, value, nbytes: int) -> None:
        old = self._items.pop(key, None)
        if old is not None:
            self.size -= old[1]
        self._items[key] = (value, nbytes)
        self.size += nbytes
        self.trim()

    def trim(self) -> None:
        while self.size > self.limit and len(self._items) > 1:
            _, (_value, evicted) = self._items.popitem(last=False)
            self.size -= evicted

    def drop(self, keep) -> None:
        """Forget every key for which `keep(key)` is false."""
        for key in [k for k in self._items if not keep(k)]:
            self.size -= self._items.pop(key)[1]

    def clear(self) -> None:
        self._items.clear()
        self.size = 0

    def __len__(self) -> int:
        return len(self._items)


class PostingsCache:
    """What successive searchers share, bounded in bytes: per segment, the raw postings of a
    term (segments never change), and the head's document sets (valid while the head's
    segments keep their place). `limit` is the budget of both together, in bytes."""

    def __init__(self, limit: int = POSTINGS_BYTES + SETS_BYTES):
        self.arrays = ByteLRU(0)
        self.head_sets = ByteLRU(0)
        self._ints: list[int] = []
        self.resize(limit)

    def resize(self, limit: int) -> None:
        """Split a budget in bytes between postings and sets, evicting what no longer fits."""
        share = limit * POSTINGS_BYTES // (POSTINGS_BYTES + SETS_BYTES)
        self.limit = limit
        for lru, part in ((self.arrays, share), (self.head_sets, limit - share)):
            lru.limit = part
            lru.trim()

    @property
    def size(self) -> int:
        return self.arrays.size + self.head_sets.size

    def ints(self, count: int) -> list[int]:
        """0…count-1 as shared int objects: every cached set points to these instead of
        holding its own copy of each number (28 bytes saved per member past 256)."""
        if len(self._ints) < count:
            self._ints.extend(range(len(self._ints), count))
        return self._ints

    def clear(self) -> None:
        self.arrays.clear()
        self.head_sets.clear()
        self._ints = []


def _set_bytes(value: frozenset) -> int:
    return sys.getsizeof(value)  # the hash table; members are the shared ints


def _read_postings(reader, field: str, text: str) -> tuple[array, array]:
    """All ids and weights of one term in one segment, read per block (not per posting)."""
    ids, weights = array("I"), array("f")
    btext = reader.schema[field].to_bytes(text)
    if (field, btext) not in reader:
        return ids, weights
    # The raw codec matcher, without the per-document deletion filter postings() adds.
    m = reader._terms.matcher(field, btext, reader.schema[field].format)
    while m.is_active():
        m._read_ids()
        m._read_weights()
        ids.extend(m._ids)
        weights.extend(m._weights)
        if m._lastblock:
            break
        m._next_block()
    return ids, weights


class DocSets:
    """Document sets for one searcher (one index generation).

    A term's set is its head part (shared with earlier generations through the cache) plus
    its tail part; deleted documents stay in both parts and are subtracted from what
    `evaluate` and `term` return, so a deletion never forces a head set to be rebuilt.
    """

    def __init__(self, searcher, segment_cache: PostingsCache, head_min: int | None = None):
        head_min = HEAD_MIN_DOCS if head_min is None else head_min
        self.searcher = searcher
        self.reader = searcher.reader()
        self.leaves = [(r, off, segment_key(r)) for r, off in self.reader.leaf_readers()]
        self._cache = segment_cache
        n_head = 0
        while n_head < len(self.leaves) and self.leaves[n_head][0].doc_count_all() >= head_min:
            n_head += 1
        self.head, self.tail = self.leaves[:n_head], self.leaves[n_head:]
        self.head_key = tuple((key, off) for _r, off, key in self.head)
        segment_cache.head_sets.drop(lambda k: k[0] == self.head_key)  # a new head: the old sets are dead
        ints = self._ints = segment_cache.ints(self.reader.doc_count_all())
        self._leaf_ints = {off: ints if off == 0 else ints[off:off + r.doc_count_all()] for r, off, _ in self.leaves}
        self._sets: OrderedDict = OrderedDict()  # this generation's whole sets, deletions removed
        self._sets_size = 0
        self._tails: dict = {}
        self.deleted = frozenset(off + d for r, off, _ in self.leaves if r.has_deletions() for d in r.deleted_docs_set)
        self._all = None

    def _segment_postings(self, reader, key, field: str, text: str) -> tuple[array, array]:
        cache_key = (key, field, text)
        hit = self._cache.arrays.get(cache_key)
        if hit is None:
            hit = _read_postings(reader, field, text)
            self._cache.arrays.put(cache_key, hit, 64 + hit[0].itemsize * len(hit[0]) + hit[1].itemsize * len(hit[1]))
        return hit

    def _union(self, leaves, field: str, text: str) -> frozenset[int]:
        out: set[int] = set()
        for reader, off, seg_key in leaves:
            ids, _ = self._segment_postings(reader, seg_key, field, text)
            out.update(map(self._leaf_ints[off].__getitem__, ids))
        return frozenset(out)

    def postings(self, field: str, text: str):
        """(offset, ids, weights) of a term in each segment: the cached arrays, deleted ids included."""
        for reader, off, seg_key in self.leaves:
            ids, weights = self._segment_postings(reader, seg_key, field, text)
            if ids:
                yield off, ids, weights

    def parts(self, field: str, text: str) -> tuple[frozenset[int], frozenset[int]]:
        """(head part, tail part) of a term's documents, deleted ones included."""
        key = (self.head_key, field, text)
        head = self._cache.head_sets.get(key)
        if head is None:
            head = self._union(self.head, field, text)
            self._cache.head_sets.put(key, head, _set_bytes(head))
        tail = self._tails.get((field, text))
        if tail is None:
            tail = self._tails[(field, text)] = self._union(self.tail, field, text) if self.tail else frozenset()
        return head, tail

    def term(self, field: str, text: str) -> frozenset[int]:
        key = (field, text)
        found = self._sets.get(key)
        if found is not None:
            self._sets.move_to_end(key)
            return found
        head, tail = self.parts(field, text)
        found = head | tail if tail else head
        if self.deleted:
            found = found - self.deleted
        self._sets[key] = found
        self._sets_size += len(found)
        # This generation's sets: at most a few times the number of documents.
        while self._sets_size > 4 * max(1, self.reader.doc_count_all()) and len(self._sets) > 1:
            self._sets_size -= len(self._sets.popitem(last=False)[1])
        return found

    def weight(self, docnum: int, field: str, text: str) -> float:
        """The boosted term frequency of `text` in `field` of one document (0 when absent)."""
        for reader, off, seg_key in reversed(self.leaves):
            if docnum >= off:
                ids, weights = self._segment_postings(reader, seg_key, field, text)
                i = bisect_left(ids, docnum - off)
                return weights[i] if i < len(ids) and ids[i] == docnum - off else 0.0
        return 0.0

    def _phrase_docs(self, q: wq.Phrase, candidates: frozenset[int]) -> frozenset[int]:
        """The candidates whose field has q's words one after the other (within q.slop).

        Per segment, one matcher per word walks the sorted candidates forward (skip_to), so
        the cost follows the number of candidates, not the size of the index.
        """
        found = []
        ordered = sorted(candidates)
        for reader, off, _key in self.leaves:
            end = off + reader.doc_count_all()
            local = [d - off for d in ordered if off <= d < end]
            if not local:
                continue
            matchers = [reader.postings(q.fieldname, word) for word in q.words]
            found.extend(off + d for d in local if _follow(matchers, d, q.slop))
        return frozenset(found)

    def all(self) -> frozenset[int]:
        if self._all is None:
            self._all = frozenset(self._ints[:self.reader.doc_count_all()]) - self.deleted
        return self._all

    def evaluate(self, q: wq.Query) -> frozenset[int]:
        """The live documents matching `q` (deleted ones never come out)."""
        if isinstance(q, wq.Term):
            return self.term(q.fieldname, q.text)
        if isinstance(q, wq.Every):
            return self.all()
        if isinstance(q, wq.AndNot):
            return self.evaluate(q.a) - self.evaluate(q.b)
        if isinstance(q, wq.And):
            parts = sorted((self.evaluate(s) for s in q.subqueries), key=len)
            if not parts:
                return frozenset()
            out = parts[0]
            for part in parts[1:]:
                if not out:
                    break
                out = out & part
            return out
        if isinstance(q, wq.Or):
            out: set[int] = set()
            for s in q.subqueries:
                out |= self.evaluate(s)
            return frozenset(out)
        if isinstance(q, wq.Phrase):
            # Positions are needed: intersect the words' sets first, then read the positions
            # of those (usually few) documents only, never walk the phrase over the whole index.
            candidates = self.evaluate(wq.And([wq.Term(q.fieldname, w) for w in q.words]))
            return self._phrase_docs(q, candidates) if candidates else frozenset()
        if q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
            return frozenset()
        return frozenset(self.searcher.docs_for_query(q))


def _follow(matchers, docnum: int, slop: int) -> bool:
    """Move every word's matcher to `docnum`; do the words follow each other there?"""
    positions = []
    for matcher in matchers:
        if matcher.is_active() and matcher.id() < docnum:
            matcher.skip_to(docnum)
        if not matcher.is_active() or matcher.id() != docnum:
            return False
        positions.append(matcher.value_as("positions"))
    starts = set(positions[0])
    for following in positions[1:]:
        starts = {p for p in following if any(0 < p - s <= slop for s in starts)}
        if not starts:
            return False
    return True


def segment_key(reader):
    segment = reader.segment()
    return segment.segment_id() if segment is not None else id(reader)


def docsets(searcher, segment_cache: PostingsCache) -> DocSets:
    """The DocSets of a searcher, made once and kept on it."""
    sets = getattr(searcher, "_commons_docsets", None)
    if sets is None:
        sets = searcher._commons_docsets = DocSets(searcher, segment_cache)
    return sets
