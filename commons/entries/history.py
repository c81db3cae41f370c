"""An entry's history: its content revisions, and the events other domains record about it.

A lineage decision ("reconduit", "fusionnée dans …") changes no content: it writes no
revision (restoring the version before it would change nothing), yet the entry's history must
tell it. The domain that keeps such events registers a source here; the history page lists
them beside the revisions.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flask import Flask, current_app

from commons.accounts.models import User
from commons.entries.models import Entry

KEY = "commons.entries.history"


@dataclass(frozen=True)
class HistoryEvent:
    at: datetime
    author: User | None
    summary: str
    endpoint: str | None = None  # the page that tells more, with `values` for url_for
    values: dict = field(default_factory=dict)


EventSource = Callable[[Entry], list[HistoryEvent]]


def register_source(app: Flask, source: EventSource) -> None:
    sources = app.extensions.setdefault(KEY, [])
    if source not in sources:
        sources.append(source)


def events_of(entry: Entry) -> list[HistoryEvent]:
    """Every registered event about `entry`, oldest first."""
    events = [event for source in current_app.extensions.get(KEY, []) for event in source(entry)]
    return sorted(events, key=lambda e: e.at)
