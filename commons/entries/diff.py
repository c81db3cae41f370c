"""Word-level differences between two versions of an entry.

Text is cut into words, punctuation and runs of whitespace, so that the diff shows which
words changed while joining the pieces back gives the exact texts. Bodies are compared
line by line, then sentence by sentence inside changed lines, and only then word by word:
difflib's matcher is quadratic when tokens repeat (spaces, "de", "la"), and a
100,000-character paragraph must still answer quickly.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from commons.entries.models import Entry, Revision
from commons.kinds import EntryKind
from commons.text import tag_slug

TOKEN = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)
SENTENCE_END = re.compile(r"(?<=[.!?…;])(?=\s)")
# Above this many tokens on a side, a changed block is shown as removed + added whole;
# past the budget (tokens word-diffed for one text), every further block is too. Both
# bound the time a crafted pair of revisions can cost an anonymous diff page.
WORD_DIFF_LIMIT = 4000
WORD_DIFF_BUDGET = 8000


@dataclass(frozen=True)
class Segment:
    op: str  # "equal", "insert" or "delete"
    text: str


def tokenize(text: str) -> list[str]:
    return TOKEN.findall(text)


def _merge(segments: list[Segment]) -> list[Segment]:
    """Glue neighbours with the same op and drop empty ones."""
    out: list[Segment] = []
    for seg in segments:
        if not seg.text:
            continue
        if out and out[-1].op == seg.op:
            out[-1] = Segment(seg.op, out[-1].text + seg.text)
        else:
            out.append(seg)
    return out


def _word_diff(old: list[str], new: list[str], budget: list[int]) -> list[Segment]:
    cost = len(old) + len(new)
    if len(old) > WORD_DIFF_LIMIT or len(new) > WORD_DIFF_LIMIT or cost > budget[0]:
        return [Segment("delete", "".join(old)), Segment("insert", "".join(new))]
    budget[0] -= cost
    segments: list[Segment] = []
    for op, i1, i2, j1, j2 in _join_changes(SequenceMatcher(None, old, new, autojunk=False).get_opcodes(), old):
        if op == "equal":
            segments.append(Segment("equal", "".join(old[i1:i2])))
            continue
        # Deletions first, then insertions: reads as "this was replaced by that".
        if i2 > i1:
            segments.append(Segment("delete", "".join(old[i1:i2])))
        if j2 > j1:
            segments.append(Segment("insert", "".join(new[j1:j2])))
    return segments


def _join_changes(opcodes: list[tuple], old: list[str]) -> list[tuple]:
    """Fold a lone run of whitespace between two changes into them.

    "<del>le</del><ins>un</ins> <del>chat</del><ins>chien</ins>" reads worse than
    "<del>le chat</del><ins>un chien</ins>".
    """
    out: list[tuple] = []
    for index, code in enumerate(opcodes):
        op, i1, i2, j1, j2 = code
        between_changes = 0 < index < len(opcodes) - 1 and opcodes[index + 1][0] != "equal"
        if op == "equal" and between_changes and out and out[-1][0] != "equal" and "".join(old[i1:i2]).isspace():
            op = "replace"
        if op != "equal" and out and out[-1][0] != "equal":
            _, p1, _, q1, _ = out[-1]
            out[-1] = ("replace", p1, i2, q1, j2)
        else:
            out.append((op, i1, i2, j1, j2))
    return out


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _sentences(text: str) -> list[str]:
    # Cut after . ! ? … ; when whitespace follows; the whitespace starts the next piece.
    return [piece for piece in SENTENCE_END.split(text) if piece]


def _diff_pieces(old: str, new: str, level: int, budget: list[int]) -> list[Segment]:
    """Lines, then sentences within changed lines, then words within changed sentences."""
    if not old or not new:
        return [Segment("delete", old), Segment("insert", new)]
    if level == len(SPLITTERS):
        return _word_diff(tokenize(old), tokenize(new), budget)
    a, b = SPLITTERS[level](old), SPLITTERS[level](new)
    segments: list[Segment] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            segments.append(Segment("equal", "".join(a[i1:i2])))
        else:
            segments.extend(_diff_pieces("".join(a[i1:i2]), "".join(b[j1:j2]), level + 1, budget))
    return segments


def diff_text(old: str, new: str) -> list[Segment]:
    """Segments that rebuild `old` (equal + delete) and `new` (equal + insert)."""
    old, new = old or "", new or ""
    if old == new:
        return [Segment("equal", old)] if old else []
    return _merge(_diff_pieces(old, new, 0, [WORD_DIFF_BUDGET]))


def condense(segments: list[Segment], context: int = 240) -> list[Segment]:
    """Shorten long unchanged stretches to their ends; the elided part becomes a "skip" segment."""
    out: list[Segment] = []
    last = len(segments) - 1
    for index, seg in enumerate(segments):
        keep_head = index > 0  # text before the first change needs no head
        keep_tail = index < last
        budget = context * (keep_head + keep_tail)
        if seg.op != "equal" or len(seg.text) <= budget + context:
            out.append(seg)
            continue
        head = seg.text[:context] if keep_head else ""
        tail = seg.text[len(seg.text) - context:] if keep_tail else ""
        out.extend(s for s in (Segment("equal", head), Segment("skip", seg.text[len(head):len(seg.text) - len(tail)]),
                               Segment("equal", tail)) if s.text)
    return out


SPLITTERS = (_lines, _sentences)


def is_changed(segments: list[Segment]) -> bool:
    return any(s.op != "equal" for s in segments)


@dataclass(frozen=True)
class Side:
    """The diffable content of one version (a revision, the entry, or a submitted form)."""

    kind: EntryKind | None
    title: str
    body: str
    tags: tuple[str, ...]
    workshop: str  # the workshop's title, "" when none


@dataclass(frozen=True)
class EntryDiff:
    title: list[Segment]
    body: list[Segment]
    kind: tuple[EntryKind | None, EntryKind | None] | None
    tags_removed: tuple[str, ...]
    tags_added: tuple[str, ...]
    tags_kept: tuple[str, ...]
    workshop: tuple[str, str] | None

    @property
    def is_body_changed(self) -> bool:
        return is_changed(self.body)

    @property
    def body_condensed(self) -> list[Segment]:
        return condense(self.body)

    @property
    def is_empty(self) -> bool:
        return not (is_changed(self.title) or is_changed(self.body) or self.kind or self.tags_removed
                    or self.tags_added or self.workshop)


def diff_entries(old: Side, new: Side) -> EntryDiff:
    old_tags = {tag_slug(t): t for t in old.tags}
    new_tags = {tag_slug(t): t for t in new.tags}
    return EntryDiff(
        title=diff_text(old.title, new.title),
        body=diff_text(old.body, new.body),
        kind=(old.kind, new.kind) if old.kind != new.kind else None,
        tags_removed=tuple(name for slug, name in old_tags.items() if slug not in new_tags),
        tags_added=tuple(name for slug, name in new_tags.items() if slug not in old_tags),
        tags_kept=tuple(name for slug, name in new_tags.items() if slug in old_tags),
        workshop=(old.workshop, new.workshop) if old.workshop != new.workshop else None,
    )


def side_of_entry(entry: Entry) -> Side:
    return Side(entry.kind, entry.title, entry.body, tuple(entry.tag_names),
                entry.workshop.title if entry.workshop else "")


def side_of_revision(revision: Revision, workshop_titles: dict[int, str]) -> Side:
    """`workshop_titles` maps the revision's workshop id to its title (a gone workshop: absent)."""
    return Side(revision.kind, revision.title, revision.body, tuple(revision.tag_names),
                workshop_titles.get(revision.workshop_id, "") if revision.workshop_id else "")
