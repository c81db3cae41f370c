"""The synonym list applied at query time (see expand.py): admins' list, or the defaults."""
from __future__ import annotations

from commons.search.expand import DEFAULT_SYNONYMS


def synonym_sets() -> list[list[str]]:
    return DEFAULT_SYNONYMS
