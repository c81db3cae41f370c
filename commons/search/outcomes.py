"""One result per outcome: the documents of one lineage collapse into one.

An entry carried to the next edition (kept, reworded, merged, realised…) is the same outcome,
and so is a workshop copied with its programme: documents.py gives them one `lineage` key and
marks them `grouped`. At query time only the grouped documents among the matches are read
(a set intersection picks them), so collapsing costs nothing for the others: an outcome shows
its latest edition among the matches, ranks where its best document ranks, and links to the
other editions ("aussi en 2023"); totals and facet counts count outcomes.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from commons.search.documents import GROUPED

MULTI_VALUED = {"tag"}
# What collapsing and counting read of a grouped document (its facets, lineage and year).
FIELDS = ("key", "lineage", "year", "type", "kind", "edition", "workshop", "tag", "status")


@dataclass
class Lineages:
    """The grouped documents among `docs` (a search's matches, any status): their stored fields."""

    stored: dict[int, dict]
    # groups() is asked for the same few document sets (matches, allowed matches) by the
    # total, the page and every facet: computed once per set.
    _groups: dict = field(default_factory=dict)

    @classmethod
    def among(cls, sets, searcher, docs: frozenset[int]) -> Lineages:
        grouped = docs & sets.term("grouped", GROUPED)
        return cls(sets.fields(sorted(grouped), FIELDS))

    def groups(self, docs: frozenset[int]) -> dict[str, list[int]]:
        """lineage key → its documents among `docs`, for the lineages with more than one."""
        known = self._groups.get(id(docs))
        if known is not None and known[0] is docs:
            return known[1]
        out: dict[str, list[int]] = defaultdict(list)
        for d in docs.intersection(self.stored):
            out[self.stored[d].get("lineage") or self.stored[d]["key"]].append(d)
        found = {key: members for key, members in out.items() if len(members) > 1}
        self._groups[id(docs)] = (docs, found)
        return found

    def hidden(self, docs: frozenset[int]) -> int:
        """How many of `docs` are not shown because another document of their outcome is."""
        return sum(len(members) - 1 for members in self.groups(docs).values())

    def total(self, docs: frozenset[int]) -> int:
        return len(docs) - self.hidden(docs)

    def counts(self, name: str, counts: list[tuple[str, int]], docs: frozenset[int]) -> list[tuple[str, int]]:
        """Facet counts of documents → counts of outcomes: an outcome with two documents of
        the same value (two editions of one "valeur") counts once for it."""
        extra: Counter = Counter()
        for members in self.groups(docs).values():
            per_value = Counter(v for d in members for v in set(_values(self.stored[d], name)))
            extra.update({v: n - 1 for v, n in per_value.items() if n > 1})
        if not extra:
            return counts
        fixed = [(v, n - extra.get(v, 0)) for v, n in counts]
        return sorted(((v, n) for v, n in fixed if n > 0), key=lambda vc: (-vc[1], vc[0]))

    def collapse(self, ordered: list[int], docs: frozenset[int]) -> list[int]:
        """The documents of `ordered` (best first), one per outcome: at its best document's
        place, the outcome's latest edition among `docs`."""
        groups = self.groups(docs)
        shown: list[int] = []
        seen: set[str] = set()
        for d in ordered:
            key = self.stored[d].get("lineage") if d in self.stored else None
            if key not in groups:
                shown.append(d)
            elif key not in seen:
                seen.add(key)
                shown.append(max(groups[key], key=lambda m: (_year(self.stored[m]), m)))
        return shown


def _values(stored: dict, name: str) -> list[str]:
    value = stored.get(name)
    if not value:
        return []
    return value.split() if name in MULTI_VALUED else [value]


def _year(stored: dict) -> int:
    year = stored.get("year") or ""
    return int(year) if year.isdigit() else 0


def also(sets, searcher, stored: dict, docnum: int, allowed: set[int]) -> list[dict]:
    """The other editions of the outcome `stored` shows (visible ones), newest first."""
    key = stored.get("lineage")
    if not key or key == stored.get("key"):
        return []
    others = (sets.term("lineage", key) & allowed) - {docnum}
    found = [searcher.stored_fields(d) for d in others]
    return sorted(found, key=lambda s: (-_year(s), s.get("edition") or "", s.get("doc_id") or 0))
