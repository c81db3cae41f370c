"""Relevance, measured: a judged query set and its success@3 and MRR@10.

`judgements.toml` lists what a mediator types on the demo data and the outcomes a person
expects (titles, optionally with the edition's year; any of them counts). A query succeeds
at 3 when one expected outcome is among the first three results; its reciprocal rank is
1/rank of the first expected outcome within the first ten (0 beyond). `flask search judge`
prints both; tests/test_search_judged.py keeps them from going down.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from commons.text import fold

JUDGEMENTS = Path(__file__).with_name("judgements.toml")
DEPTH = 10
_YEAR = re.compile(r"(\d{4})")


@dataclass(frozen=True)
class Judged:
    q: str
    expect: tuple[tuple[str, str | None], ...]  # (title key, year or None)
    why: str = ""


@dataclass
class Report:
    ranks: list[tuple[Judged, int | None, list[str]]] = field(default_factory=list)

    @property
    def success_at_3(self) -> float:
        return sum(1 for _, rank, _ in self.ranks if rank and rank <= 3) / max(1, len(self.ranks))

    @property
    def mrr_at_10(self) -> float:
        return sum(1 / rank for _, rank, _ in self.ranks if rank) / max(1, len(self.ranks))

    def failures(self) -> list[tuple[Judged, int | None, list[str]]]:
        return [item for item in self.ranks if not item[1] or item[1] > 3]


def title_key(title: str) -> str:
    """Titles compared without case, accents or punctuation."""
    return " ".join(re.findall(r"\w+", fold(title)))


def _expected(text: str) -> tuple[str, str | None]:
    title, _, year = text.partition("|")
    return title_key(title), (year.strip() or None)


def load(path: Path = JUDGEMENTS) -> list[Judged]:
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    return [Judged(item["q"], tuple(_expected(e) for e in item["expect"]), item.get("why", ""))
            for item in data["query"]]


def _matches(judged: Judged, title: str, edition: str | None) -> bool:
    key = title_key(title)
    year = (_YEAR.search(edition or "") or [None, None])[1]
    return any(key == t and (y is None or y == year) for t, y in judged.expect)


def evaluate(run, judged: list[Judged]) -> Report:
    """`run(q)` returns the first results as (title, edition slug) pairs, best first."""
    report = Report()
    for item in judged:
        results = list(run(item.q))[:DEPTH]
        rank = next((n for n, (title, edition) in enumerate(results, 1) if _matches(item, title, edition)), None)
        report.ranks.append((item, rank, [title for title, _ in results[:3]]))
    return report


def engine_runner(svc):
    """A `run` for `evaluate` on the live search engine (published results, by relevance)."""
    from commons.search.engine import search

    def run(q: str) -> list[tuple[str, str | None]]:
        outcome = search(svc, q, {}, page=1, per_page=DEPTH)
        return [(hit.stored.get("title", ""), hit.edition) for hit in outcome.hits]

    return run
