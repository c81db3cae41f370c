"""Word-level differences between two wordings, as safe HTML (<del>/<ins>)."""
from __future__ import annotations

import difflib
import re

from markupsafe import Markup, escape

_TOKENS = re.compile(r"\s+|[^\s]+")


def word_diff(old: str, new: str) -> Markup:
    """Words removed in <del>, added in <ins>; everything escaped, so user text cannot inject HTML."""
    a = _TOKENS.findall(old or "")
    b = _TOKENS.findall(new or "")
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(escape("".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(Markup("<del>%s</del>") % "".join(a[i1:i2]))
        if j2 > j1:
            out.append(Markup("<ins>%s</ins>") % "".join(b[j1:j2]))
    return Markup("").join(out)
