"""One result per outcome: the documents of one lineage collapse into one.

An entry carried to the next edition (kept, reworded, merged, realised…) is the same outcome,
and so is a workshop copied with its programme: documents.py gives them one `lineage` key and
marks them `grouped`; the `outcome` column holds a number per lineage for those documents (0
for the others) and `year_number` their year. Collapsing and counting work on these arrays
with numpy, without reading a stored field: an outcome shows
its latest edition among the matches, ranks where its best document ranks, and links to the
other editions ("aussi en 2023"); totals and facet counts count outcomes.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Lineages:
    """Collapsing by numbers: every document's outcome number (0: not grouped) and year,
    the columns of ranking.Columns. Nothing here reads a stored field."""

    outcomes: np.ndarray
    years: np.ndarray
    # The same few document sets (matches, allowed matches) are asked about by the total,
    # the page and every facet: their grouped members are found once per set.
    _grouped: dict = field(default_factory=dict)

    @classmethod
    def of(cls, columns) -> Lineages:
        return cls(columns.outcomes, columns.years)

    def grouped(self, docs: frozenset[int]) -> tuple[np.ndarray, np.ndarray]:
        """(documents, outcome numbers) of the members of `docs` that may share an outcome."""
        known = self._grouped.get(id(docs))
        if known is not None and known[0] is docs:
            return known[1]
        idx = np.fromiter(docs, dtype=np.int64, count=len(docs))
        numbers = self.outcomes[idx] if len(idx) else np.zeros(0, dtype=np.int64)
        keep = numbers != 0
        found = (idx[keep], numbers[keep])
        self._grouped[id(docs)] = (docs, found)
        return found

    def hidden(self, docs: frozenset[int]) -> int:
        """How many of `docs` are not shown because another document of their outcome is."""
        numbers = self.grouped(docs)[1]
        return len(numbers) - len(np.unique(numbers))

    def total(self, docs: frozenset[int]) -> int:
        return len(docs) - self.hidden(docs)

    def counts(self, values: list[str], pairs: tuple[np.ndarray, np.ndarray]) -> list[tuple[str, int]]:
        """Outcomes per facet value from the (document, value code) pairs of the matches: an
        outcome with two documents of one value (two editions of one "valeur") counts once."""
        docs, codes = pairs
        numbers = self.outcomes[docs]
        alone = numbers == 0
        found = np.bincount(codes[alone], minlength=len(values))
        if not alone.all():
            found += np.bincount(_distinct_pairs(numbers[~alone], codes[~alone]), minlength=len(values))
        out = [(values[i], int(found[i])) for i in np.flatnonzero(found)]
        out.sort(key=lambda vc: (-vc[1], vc[0]))
        return out

    def collapse(self, ordered: list[int], docs: frozenset[int]) -> list[int]:
        """The documents of `ordered` (best first), one per outcome: at its best document's
        place, the outcome's latest edition among `docs` (then the highest number)."""
        members, numbers = self.grouped(docs)
        if not len(numbers):
            return ordered
        order = np.lexsort((members, self.years[members], numbers))
        members, numbers = members[order], numbers[order]
        last = np.ones(len(numbers), dtype=bool)
        last[:-1] = numbers[1:] != numbers[:-1]
        sizes = np.unique(numbers, return_counts=True)[1]  # ascending numbers, as `last` meets them
        shared = {int(n): int(m) for n, m, size in zip(numbers[last], members[last], sizes, strict=True)
                  if size > 1}
        shown: list[int] = []
        seen: set[int] = set()
        for d in ordered:
            number = int(self.outcomes[d])
            if number not in shared:
                shown.append(d)
            elif number not in seen:
                seen.add(number)
                shown.append(shared[number])
        return shown


def _distinct_pairs(numbers: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """The codes of the distinct (number, code) pairs."""
    order = np.lexsort((codes, numbers))
    numbers, codes = numbers[order], codes[order]
    first = np.ones(len(codes), dtype=bool)
    first[1:] = (numbers[1:] != numbers[:-1]) | (codes[1:] != codes[:-1])
    return codes[first]


def _year(stored: dict) -> int:
    year = stored.get("year") or ""
    return int(year) if year.isdigit() else 0


def also(sets, searcher, stored: dict, docnum: int, allowed: np.ndarray) -> list[dict]:
    """The other editions of the outcome `stored` shows (visible ones), newest first."""
    key = stored.get("lineage")
    if not key or key == stored.get("key"):
        return []
    others = [d for d in sets.term("lineage", key) if allowed[d] and d != docnum]
    found = [searcher.stored_fields(d) for d in others]
    return sorted(found, key=lambda s: (-_year(s), s.get("edition") or "", s.get("doc_id") or 0))
