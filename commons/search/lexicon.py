"""The spelling vocabulary of one index folder: words as written, with their counts.

Gathered while indexing (see `FrenchFilter.recorder`) and kept in `lexicon.txt` next to
the index. It only grows between rebuilds: a word that left every document may still be
suggested until the next rebuild, which costs nothing worse than a suggestion with no
more results — and those are never shown.
"""
from __future__ import annotations

import os
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

from whoosh.spelling import ListCorrector
from whoosh.support.levenshtein import damerau_levenshtein

from commons.search.analysis import french_filters

FILENAME = "lexicon.txt"
MIN_LENGTH = 3


def _keep(word: str) -> bool:
    return len(word) >= MIN_LENGTH and not word.isdigit()


@contextmanager
def recording(writer):
    """Collect the words a Whoosh writer indexes while the block runs."""
    counter: Counter = Counter()
    filters = {id(f): f for name in ("title", "body", "tag_text") for f in french_filters(writer.schema[name].analyzer)}
    for f in filters.values():
        f.recorder = counter
    try:
        yield counter
    finally:
        for f in filters.values():
            f.recorder = None


class Lexicon:
    def __init__(self, counts: dict[str, int]):
        self.counts = counts
        self._corrector = None

    @classmethod
    def load(cls, folder: Path) -> Lexicon:
        counts: dict[str, int] = {}
        try:
            with open(folder / FILENAME, encoding="utf-8") as fh:
                for line in fh:
                    word, _, count = line.rstrip("\n").rpartition(" ")
                    if word:
                        counts[word] = int(count)
        except (OSError, ValueError):
            pass
        return cls(counts)

    def save(self, folder: Path) -> None:
        tmp = folder / f".{FILENAME}.{os.getpid()}"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.writelines(f"{w} {n}\n" for w, n in sorted(self.counts.items()))
        os.replace(tmp, folder / FILENAME)

    def merge(self, recorded: Counter) -> bool:
        """Add recorded words; True when the vocabulary gained a word (worth saving)."""
        grew = False
        for word, n in recorded.items():
            if not _keep(word):
                continue
            if word not in self.counts:
                grew = True
                self.counts[word] = n
            else:
                self.counts[word] += n
        if grew:
            self._corrector = None
        return grew

    def __contains__(self, word: str) -> bool:
        return word in self.counts

    def suggest(self, word: str, limit: int = 8) -> list[str]:
        """Closest words (edit distance ≤ 2, same first letter), the most frequent first among equals."""
        if self._corrector is None:
            self._corrector = ListCorrector(sorted(self.counts))
        candidates = self._corrector.suggest(word, limit=40, maxdist=2, prefix=1)
        candidates.sort(key=lambda c: (damerau_levenshtein(word, c), -self.counts.get(c, 0)))
        return candidates[:limit]


_cache: dict[str, tuple[tuple, Lexicon]] = {}


def cached(folder: Path) -> Lexicon:
    """The folder's lexicon, re-read only when its file changed."""
    try:
        st = (folder / FILENAME).stat()
        sig = (st.st_ino, st.st_mtime_ns, st.st_size)
    except OSError:
        sig = None
    hit = _cache.get(str(folder))
    if hit and hit[0] == sig:
        return hit[1]
    lexicon = Lexicon.load(folder)
    _cache[str(folder)] = (sig, lexicon)
    return lexicon
