"""Paged lists: every list a page shows is cut into pages counted by the database."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request

from commons.database import parse_int
from commons.web import abort_with


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


def page_or_404(total: int, message) -> Page:
    """The request's page of a list of `total` items (ENTRIES_PER_PAGE a page); a French 404
    when there is no such page. `message` says which list, with "%(last)d" for the last page."""
    per_page = current_app.config.get("ENTRIES_PER_PAGE", 50)
    page = page_of(request.args.get("page"), total, per_page)
    if page is None:
        abort_with(404, str(message) % {"last": Page(1, per_page, total).last})
    return page
