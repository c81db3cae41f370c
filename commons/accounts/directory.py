"""The structures directory, as accounts sees it: a list the editions domain provides.

Structures belong to editions, which sits above accounts in the dependency chain; the sign-up
form still offers them. Editions registers a function at start-up (as panels do) that answers
[(id, name), ...] in display order; without it the list is empty and people propose a name.
"""
from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app

KEY = "commons.structures"


def provide(app: Flask, list_structures: Callable[[], list[tuple[int, str]]]) -> None:
    app.extensions[KEY] = list_structures


def structures() -> list[tuple[int, str]]:
    provider = current_app.extensions.get(KEY)
    return provider() if provider is not None else []
