""""Vouliez-vous dire …": corrections from the vocabulary of the index.

The vocabulary is the folder's lexicon (lexicon.py): words as written (lower case, accents
kept, not stemmed), so a suggestion reads "médiation", never "mediat". A word counts as misspelt
when neither it nor an accent variant of it is in the vocabulary ("mediation" is not
misspelt: "médiation" is there). The corrected query is offered when it finds more
documents ("mediaton" → "médiation"). When it finds as many, the typed word matched only
through its stem; it is still offered if the typed word carries a suffix the stemmer cut
and differs from the correction by more than a plural mark ("parentalitée" →
"parentalité"), but not for a bare base form or a plural ("valeur" when only "valeurs" is
in the index).
"""
from __future__ import annotations

import re
from collections.abc import Callable

from commons.search import query as uq
from commons.search.analysis import normalise
from commons.search.lexicon import Lexicon
from commons.text import fold

MIN_LENGTH = 4


def _correction(lexicon: Lexicon, word: str) -> str | None:
    if len(word) < MIN_LENGTH or word.isdigit() or word in lexicon:
        return None
    folded = fold(word)
    candidates = lexicon.suggest(word)
    if any(fold(c) == folded for c in candidates):
        return None  # only accents differ: the folded index already matches it
    return candidates[0] if candidates else None


def _misspelt(word: str, fixed: str) -> bool:
    folded, fixed_folded = fold(word), fold(fixed)
    if normalise(word) == folded:
        return False  # a base form the stemmer left alone: a real word, just absent
    return folded.rstrip("sx") != fixed_folded.rstrip("sx")


def suggest(lexicon: Lexicon, parsed: uq.ParsedQuery, raw_query: str, total: int,
            count: Callable[[object], int]) -> str | None:
    corrections = {}
    for word in dict.fromkeys(parsed.text_words()):
        fixed = _correction(lexicon, word)
        if fixed and fixed != word:
            corrections[word] = fixed
    if not corrections:
        return None
    corrected = uq.ParsedQuery(
        groups=[[uq.Clause([corrections.get(w, w) for w in c.words], c.is_phrase) for c in group]
                for group in parsed.groups],
        excluded=parsed.excluded, filters=parsed.filters,
    )
    new_q = uq.text_query(corrected)
    if new_q is None:
        return None
    found = count(new_q)
    if found == 0 or found < total or (found == total and not all(_misspelt(w, c) for w, c in corrections.items())):
        return None
    text = uq.sanitise(raw_query)
    for word, fixed in corrections.items():
        text = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", fixed, text, flags=re.IGNORECASE)
    return " ".join(text.split())
