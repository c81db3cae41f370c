"""The query syntax a person would type, turned into Whoosh query objects.

    médiation numérique      both words (implicit AND), any field
    "accueil inconditionnel" the phrase
    école OR collège         either word (OR binds tighter than the implicit AND)
    -tablette                without this word
    tag:rgpd kind:action edition:2023 workshop:slug status:archivee   filters

Whoosh's own parser is not exposed: its syntax (field:[a TO b], wildcards, boosts...)
is for developers, and a stray character must never become an error. This tokenizer
accepts anything: unbalanced quotes close at the end, lone operators are plain words
(and then mostly stop words), control characters are spaces.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from whoosh import query as wq

from commons.kinds import EntryKind
from commons.search.analysis import normalise, words
from commons.text import fold, slugify, tag_slug

MAX_QUERY_CHARS = 500
MAX_TERMS = 32
TEXT_FIELDS = {"title": 4.0, "tag_text": 2.5, "body": 1.0}
FILTER_ALIASES = {
    "tag": "tag", "etiquette": "tag", "kind": "kind", "nature": "kind", "type": "type",
    "edition": "edition", "workshop": "workshop", "atelier": "workshop", "status": "status", "statut": "status",
}
# The six kinds are words too: "valeurs" or "les pratiques" also means the entries of that kind.
KIND_STEMS = {normalise(kind.value): kind.value for kind in EntryKind}
_TOKEN = re.compile(r'(?P<neg>-)?(?:(?P<field>[A-Za-zéÉ]+):)?(?:"(?P<phrase>[^"]*)(?:"|$)|(?P<word>[^\s"]+))')


@dataclass
class Clause:
    words: list[str]  # one word, or the words of a phrase
    is_phrase: bool = False
    is_negated: bool = False
    together: bool = False  # several words, all present anywhere (made by expand.py, not typed)


@dataclass
class ParsedQuery:
    """The user's query split into text clauses and filters. `groups` is an AND of ORs."""

    groups: list[list[Clause]] = field(default_factory=list)
    excluded: list[Clause] = field(default_factory=list)
    filters: dict[str, list[str]] = field(default_factory=dict)

    @property
    def has_text(self) -> bool:
        return bool(self.groups)

    def text_words(self) -> list[str]:
        return [w for group in self.groups for clause in group for w in clause.words]

    def kinds(self) -> list[str]:
        """The kinds named by a word of the query ("valeurs" → valeur), in query order."""
        return list(dict.fromkeys(k for group in self.groups for c in group for k in clause_kinds(c)))


def sanitise(raw: str) -> str:
    raw = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in raw[: MAX_QUERY_CHARS * 4])
    return unicodedata.normalize("NFC", raw)[:MAX_QUERY_CHARS]


def parse(raw: str | None) -> ParsedQuery:
    parsed = ParsedQuery()
    text = sanitise(raw or "")
    pending_or = False
    count = 0
    for m in _TOKEN.finditer(text):
        if count >= MAX_TERMS:
            break
        name = FILTER_ALIASES.get(fold(m["field"] or ""))
        value = m["phrase"] if m["phrase"] is not None else m["word"]
        if m["field"] and name and value and value.strip():
            parsed.filters.setdefault(name, []).append(value.strip())
            continue
        if m["field"] and not name:  # "http://x" or "note:" → just words
            value = f"{m['field']} {value or ''}"
        if m["phrase"] is None and value == "OR" and not m["neg"]:
            pending_or = bool(parsed.groups)
            continue
        ws = words(value or "")
        if not ws:
            continue
        count += 1
        is_phrase = m["phrase"] is not None and len(ws) > 1
        clauses = [Clause(ws, is_phrase=True)] if is_phrase else [Clause([w]) for w in ws]
        if m["neg"]:
            parsed.excluded.extend(Clause(c.words, c.is_phrase, True) for c in clauses)
            pending_or = False
            continue
        first, *rest = clauses
        if pending_or and parsed.groups:
            parsed.groups[-1].append(first)
        else:
            parsed.groups.append([first])
        parsed.groups.extend([c] for c in rest)
        pending_or = False
    # Stop words alone ("le", "de la") match nothing: drop clauses that analyse to nothing,
    # and a query made only of them becomes an empty query (browse with the filters).
    parsed.groups = [g for g in ([c for c in group if _terms(c)] for group in parsed.groups) if g]
    parsed.excluded = [c for c in parsed.excluded if _terms(c)]
    return parsed


def _terms(clause: Clause) -> list[str]:
    return [t for t in (normalise(w) for w in clause.words) if t]


def clause_kinds(clause: Clause) -> list[str]:
    """The kind a one-word clause names, if any (a phrase is words, not a kind)."""
    terms = _terms(clause)
    if clause.is_phrase or len(terms) != 1 or terms[0] not in KIND_STEMS:
        return []
    return [KIND_STEMS[terms[0]]]


def phrase_slop(words: list[str]) -> int:
    """How far apart two consecutive indexed words of a phrase may be. Stop words are not
    indexed but keep their positions, so "environnement de confiance" has its two indexed
    words two positions apart: the slop is the widest gap left by the phrase's stop words."""
    kept = [i for i, w in enumerate(words) if normalise(w)]
    return max((b - a for a, b in zip(kept, kept[1:], strict=False)), default=1)


def clause_query(clause: Clause) -> wq.Query | None:
    terms = _terms(clause)
    if not terms:
        return None
    if clause.together and len(terms) > 1:
        return wq.And([clause_query(Clause([w])) for w in clause.words if normalise(w)])
    per_field = []
    for fieldname, boost in TEXT_FIELDS.items():
        if clause.is_phrase and len(terms) > 1:
            if fieldname == "tag_text":
                continue  # tag_text keeps no positions worth a phrase; title and body do
            per_field.append(wq.Phrase(fieldname, terms, slop=phrase_slop(clause.words), boost=boost))
        else:
            per_field.append(wq.Term(fieldname, terms[0], boost=boost))
    per_field += [wq.Term("kind", kind) for kind in clause_kinds(clause)]
    return wq.Or(per_field)


def text_query(parsed: ParsedQuery) -> wq.Query | None:
    """The scoring part: an AND of ORs over title, tags and body; None when empty.
    Exclusions are applied by the caller with `excluded_query`."""
    parts = []
    for group in parsed.groups:
        alternatives = [q for q in (clause_query(c) for c in group) if q is not None]
        if alternatives:
            parts.append(alternatives[0] if len(alternatives) == 1 else wq.Or(alternatives))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else wq.And(parts)


def excluded_query(parsed: ParsedQuery) -> wq.Query | None:
    excluded = [q for q in (clause_query(c) for c in parsed.excluded) if q is not None]
    return wq.Or(excluded) if excluded else None


def normalise_filter(name: str, value: str) -> str:
    """Filter values as the index stores them: slugs for tags, editions and workshops."""
    value = value.strip()
    if name == "tag":
        return tag_slug(value)  # the slug tags are stored with: "cœur" is coeur, Greek stays Greek
    if name in ("kind", "status", "type"):
        return fold(value).strip()
    if name == "workshop" and "/" in value:
        edition, _, workshop = value.partition("/")
        return f"{slugify(edition, 120)}/{slugify(workshop, 160)}"
    if name in ("edition", "workshop"):
        return value if value.isdigit() else slugify(value, 160)
    return value


def filter_query(name: str, values: list[str]) -> wq.Query:
    """One facet's filter: several values of a single-valued facet are alternatives;
    several tags must all be present."""
    terms = []
    for value in values:
        value = normalise_filter(name, value)
        if name == "edition" and value.isdigit():
            terms.append(wq.Term("year", value))
        elif name == "workshop" and "/" not in value:
            terms.append(wq.Term("workshop_slug", value))
        else:
            terms.append(wq.Term(name, value))
    if not terms:
        return wq.NullQuery
    if len(terms) == 1:
        return terms[0]
    return wq.And(terms) if name == "tag" else wq.Or(terms)
