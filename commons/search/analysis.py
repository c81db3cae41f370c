"""French text analysis for the index: the same chain runs on documents and on queries.

Words are folded with the project's one folding (`commons.text.fold`: case, accents,
ligatures), the one tags are stored with. Accents are folded BEFORE stemming so that a word typed without accents ("parentalite",
"mediation") reaches the same stem as the accented one. Snowball's French rules partly rely
on accents ("-ité", "-ée"), so a folded word can keep a trailing "e" the accented one loses
("accompagnee" vs "accompagn"); dropping a final "e" from every stem makes both forms agree.

Snowball alone does not make the inflections of a noun meet ("usager" → usag but "usagers" →
usager; "conseillère" → conseiller but "conseiller" → conseil; "médiatrice" vs "médiateur"),
so each word is first brought to its singular masculine form (`base_form`: -s, -eaux, -ieux,
-trice, -ère, -euse), then stemmed; two spellings Snowball leaves apart are merged after it
(-ill → -il: "travailler"/"travail", "accueillir"/"accueil"; -iqu → -ic: "diagnostiquer"/
"diagnostic", "publique"/"public"). tests/test_search_quality.py lists the pairs that must meet.
"""
from __future__ import annotations

import re

from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer
from whoosh.lang import stemmer_for_language, stopwords_for_language

from commons.text import fold

TOKEN_PATTERN = r"\w+"
# Elided articles and pronouns ("l'école", "d'accompagnement") split off by the tokenizer.
ELISIONS = frozenset({"l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu"})
_CACHE_MAX = 200_000


# Whoosh's French list misses some of the commonest function words ("les", "cette"...).
EXTRA_STOP_WORDS = frozenset("""les aux cette cet ces leur leurs sans sous vers chez comme mais donc ni car dont
ou où quand si tout tous toute toutes très aussi ainsi alors entre afin lors chaque""".split())
STOP_WORDS = frozenset({fold(w) for w in stopwords_for_language("fr")} | {fold(w) for w in EXTRA_STOP_WORDS} | ELISIONS)


class FrenchFilter(Filter):
    """Fold accents, drop French stop words, stem with Snowball: one pass, one cache.

    A single filter with a dict cache is much faster than a chain of four generators,
    and the vocabulary of a knowledge base is small enough for the cache to hit nearly always.
    """

    is_morph = True

    def __init__(self, stem: bool = True):
        self.stem = stem
        self._cache: dict[str, str | None] = {}
        self._stemfn = stemmer_for_language("fr") if stem else None
        # While an index writer runs, a Counter that receives every word as written (lower
        # case, accents kept): the spelling vocabulary, gathered for free during indexing
        # instead of analysing every text a second time into a separate field.
        self.recorder = None

    def __getstate__(self):
        return {"stem": self.stem}

    def __setstate__(self, state):
        self.__init__(**state)

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.stem == other.stem

    def normalise(self, word: str) -> str | None:
        """The indexed form of one lower-cased word, or None for a stop word."""
        cached = self._cache.get(word, False)
        if cached is not False:
            return cached
        folded = fold(word)
        if folded in STOP_WORDS:
            result = None
        elif self._stemfn is None:
            result = folded
        else:
            result = stem_word(self._stemfn, folded)
        if len(self._cache) >= _CACHE_MAX:
            self._cache.clear()
        self._cache[word] = result
        return result

    def __call__(self, tokens):
        normalise = self.normalise
        recorder = self.recorder
        for t in tokens:
            text = normalise(t.text)
            if text is None:
                if not t.removestops:
                    t.stopped = True
                    yield t
                continue
            if recorder is not None:
                recorder[t.text] += 1
            t.text = text
            t.stopped = False
            yield t


# Feminine endings → masculine, longest first (the stem left must keep 2 letters).
_FEMININE = (("trices", "teur"), ("trice", "teur"), ("euses", "eur"), ("euse", "eur"),
             ("ieres", "ier"), ("iere", "ier"), ("eres", "er"), ("ere", "er"))


def base_form(word: str) -> str:
    """The singular masculine form of a folded word, by its ending (no dictionary)."""
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix, base in _FEMININE:
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            return word[: -len(suffix)] + base
    if word.endswith(("eaux", "ieux")) or (word.endswith("eux") and len(word) <= 5):
        return word[:-1]
    if word.endswith("s") and not word.endswith(("ss", "us")):
        return word[:-1]
    return word


def stem_word(stemfn, folded: str) -> str:
    stem = stemfn(base_form(folded))
    if len(stem) > 3 and stem.endswith("e"):
        stem = stem[:-1]
    if len(stem) > 4 and stem.endswith("ill"):
        stem = stem[:-1]
    elif len(stem) > 4 and stem.endswith("iqu"):
        stem = stem[:-2] + "c"
    return stem


def french_analyzer():
    return RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter() | FrenchFilter()


_WORD = re.compile(TOKEN_PATTERN)
_STEMMER = FrenchFilter()


def french_filters(analyzer) -> list[FrenchFilter]:
    return [item for item in getattr(analyzer, "items", [analyzer]) if isinstance(item, FrenchFilter)]


def words(text: str) -> list[str]:
    """The words of a user's text, lower-cased, as the tokenizer splits them."""
    return [w.lower() for w in _WORD.findall(text)]


def normalise(word: str) -> str | None:
    """Indexed form of a query word (None when it is a stop word)."""
    return _STEMMER.normalise(word.lower())
