"""Query-time expansion: domain synonyms and compound words, so what a mediator types meets
what the report wrote ("EPCI" and "communauté de communes", "fab lab" and "fablab").

Applied to the parsed query, never to the index: changing the synonym list needs no reindex.
A run of typed words equal to one expression of a synonym set (compared on indexed forms, so
plurals and accents do not matter) becomes an alternative between those words (all present,
anywhere) and every other expression of the set (each as a phrase). Two typed words whose
concatenation is an indexed word ("cyber sécurité") may also match that word, and a typed word
made of two indexed words ("fablab") may also match them side by side.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

from commons.search import query as uq
from commons.search.analysis import normalise, words

MIN_PART = 3
MAX_SPLITS = 2

# Sensible defaults for the mediation vocabulary; admins edit the list (see synonyms.py).
DEFAULT_SYNONYMS: list[list[str]] = [
    ["CnFS", "conseiller numérique France Services"],
    ["EPCI", "intercommunalité", "communauté de communes", "communauté d'agglomération"],
    ["tiers-lieu", "tiers lieu"],
    ["RGPD", "données personnelles", "protection des données"],
    ["EPN", "espace public numérique"],
    ["fablab", "fab lab", "atelier de fabrication numérique"],
    ["France Services", "maison France Services"],
    ["illectronisme", "fracture numérique", "exclusion numérique"],
    ["inclusion numérique", "e-inclusion"],
    ["cybersécurité", "sécurité numérique", "sécurité informatique"],
    ["PIX", "certification des compétences numériques"],
    ["parentalité numérique", "écrans en famille"],
    ["sobriété numérique", "numérique responsable"],
    ["encapacitation", "pouvoir d'agir", "empowerment"],
]


def _stems(expression: str) -> tuple[str, ...]:
    return tuple(t for t in (normalise(w) for w in words(expression)) if t)


class Expander:
    def __init__(self, synonym_sets: Iterable[Iterable[str]], known: Callable[[str], bool]):
        self.known = known
        self.sets: list[list[tuple[tuple[str, ...], list[str]]]] = []
        for expressions in synonym_sets:
            entries = [(_stems(e), words(e)) for e in expressions]
            entries = [(s, w) for s, w in entries if s]
            if len(entries) > 1:
                self.sets.append(entries)

    def expand(self, parsed: uq.ParsedQuery) -> uq.ParsedQuery:
        groups, i = [], 0
        while i < len(parsed.groups):
            taken, group = self._at(parsed.groups, i)
            groups.append(group)
            i += taken
        return uq.ParsedQuery(groups=groups, excluded=parsed.excluded, filters=parsed.filters)

    def _at(self, groups: list[list[uq.Clause]], i: int) -> tuple[int, list[uq.Clause]]:
        """How many groups from i form one expansion, and the expanded group."""
        run = _typed_run(groups, i)
        for length in range(len(run), 0, -1):
            stems = tuple(t for c in run[:length] for t in _clause_stems(c))
            alternatives = self._synonyms(stems)
            if length == 2 and not alternatives:
                alternatives = self._joined(run[:2])
            if alternatives:
                typed = [w for c in run[:length] for w in c.words]
                original = uq.Clause(typed, is_phrase=run[0].is_phrase and length == 1, together=length > 1)
                return length, [original, *alternatives]
        group = list(groups[i])
        if len(group) == 1 and not group[0].is_phrase and len(group[0].words) == 1:
            group += self._split(group[0].words[0])
        return 1, group

    def _synonyms(self, stems: tuple[str, ...]) -> list[uq.Clause]:
        for entries in self.sets:
            if any(s == stems for s, _ in entries):
                return [uq.Clause(w, is_phrase=len(w) > 1) for s, w in entries if s != stems]
        return []

    def _joined(self, run: list[uq.Clause]) -> list[uq.Clause]:
        if any(c.is_phrase or len(c.words) != 1 for c in run):
            return []
        joined = run[0].words[0] + run[1].words[0]
        stem = normalise(joined)
        return [uq.Clause([joined])] if stem and self.known(stem) else []

    def _split(self, word: str) -> list[uq.Clause]:
        found = []
        for k in range(MIN_PART, len(word) - MIN_PART + 1):
            left, right = normalise(word[:k]), normalise(word[k:])
            if left and right and self.known(left) and self.known(right):
                found.append(uq.Clause([word[:k], word[k:]], is_phrase=True))
                if len(found) >= MAX_SPLITS:
                    break
        return found


def _typed_run(groups: list[list[uq.Clause]], i: int, limit: int = 6) -> list[uq.Clause]:
    """The clauses from group i on that stand alone in their group (no OR)."""
    run = []
    for group in groups[i:i + limit]:
        if len(group) != 1 or (run and group[0].is_phrase):
            break
        run.append(group[0])
        if group[0].is_phrase:
            break
    return run


def _clause_stems(clause: uq.Clause) -> list[str]:
    return [t for t in (normalise(w) for w in clause.words) if t]
