"""Extension points: named places on a page that a domain built on top of it fills in.

The dependency chain runs accounts ← editions ← entries ← lineage, yet a workshop page
(editions) lists the workshop's entries, and an entry page (entries) shows its lineage. The
page's owner names a `Slot` and renders whatever was registered for it; the domain above
registers a function at start-up (in its `init_app`). The function runs in the view, before
the page's template, so every query a page needs runs in Python, none in a template.

Two shapes:
- a section slot: `fn(**page) -> Markup | None`, one block of HTML per registered function;
- a badge slot: `fn(items) -> {item id: Markup}`, one line per listed item (an edition card,
  a session of the programme), computed for the whole list at once.
"""
from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from flask import Flask, current_app
from markupsafe import Markup

KEY = "commons.panels"


class Slot(enum.Enum):
    HOME = "home"  # sections of the home page, after the editions
    EDITION = "edition"  # sections of an edition page, after its programme
    EDITION_CARDS = "edition_cards"  # badge: a line on each edition card
    PROGRAMME = "programme"  # badge: a line under each session of an edition's programme
    WORKSHOP = "workshop"  # sections of a workshop page
    ENTRY = "entry"  # sections at the end of an entry page


@dataclass(frozen=True)
class Panel:
    order: int
    render: Callable[..., object]


def register(app: Flask, slot: Slot, render: Callable[..., object], order: int = 50) -> None:
    """Fill `slot` with `render`; lower `order` comes first. Registering the same function
    again (a second app in the same process) replaces it."""
    panels = app.extensions.setdefault(KEY, {}).setdefault(slot, [])
    panels[:] = sorted([p for p in panels if p.render is not render] + [Panel(order, render)],
                       key=lambda p: p.order)


def _panels(slot: Slot) -> list[Panel]:
    return current_app.extensions.get(KEY, {}).get(slot, [])


def sections(slot: Slot, **page) -> list[Markup]:
    return [html for panel in _panels(slot) if (html := panel.render(**page))]


def badges(slot: Slot, items: Sequence) -> dict[int, Markup]:
    """One Markup per item id, the registered functions' lines joined."""
    lines: dict[int, list[Markup]] = {}
    for panel in _panels(slot):
        for item_id, html in panel.render(items).items():
            lines.setdefault(item_id, []).append(html)
    return {item_id: Markup(" ").join(parts) for item_id, parts in lines.items()}
