"""Paged lists: every list a page shows is cut into pages counted by the database."""
from __future__ import annotations

from dataclasses import dataclass

from commons.database import parse_int


@dataclass(frozen=True)
class Page:
    number: int
    per_page: int
    total: int

    @property
    def last(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.per_page

    @property
    def is_paged(self) -> bool:
        return self.last > 1


def page_of(raw: str | None, total: int, per_page: int) -> Page | None:
    """The page a `?page=` asks for (1 when absent); None when it names no page (the view answers 404)."""
    number = parse_int(raw) if raw else 1
    page = Page(number or 0, per_page, total)
    return page if 1 <= page.number <= page.last else None
