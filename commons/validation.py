"""The one text policy: every piece of user text passes here before it is stored.

Whatever the way in (a form, the CLI, an import), a text is refused, with a French message
that names the field, when it holds:

- NUL or another control character (PostgreSQL refuses NUL outright; the others corrupt
  exports and terminals, or hide text from the reader);
- a bidirectional override or isolate (U+202A–U+202E, U+2066–U+2069): they reorder what is
  displayed, so a title could read differently from what is stored ("Trojan source" spoofing);
- U+FFFD or a lone surrogate: the trace of bytes that were not UTF-8. Werkzeug decodes them
  to U+FFFD, so saving would silently replace the author's text with question marks;
- more characters than its column holds.

A person's name (`is_name`) is held to more: it is NFKC-normalised (full-width letters,
ligatures and other compatibility forms become their plain letters, so two names that look the
same are the same text), and zero-width characters and invisible marks (U+200B–U+200F, U+2060,
U+FEFF, U+061C, U+180E) are refused: they let one name pass for another. So is a word that mixes
Latin letters with Cyrillic, Greek or another script whose letters look Latin ("Аdmin" with a
Cyrillic А, "Hubikооp" with Cyrillic o's): a name written wholly in one script is accepted
(a Greek or Russian name stays possible), the mixed word only serves to impersonate (the
"single script" restriction of Unicode's security mechanisms, UTS #39).

Accepted text is NFC-normalised (an "é" typed as one or two code points is one word for the
search and the diff) with Unix newlines; one-line texts have their whitespace collapsed.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from flask_babel import gettext as _

from commons.errors import ServiceError

_BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
_LINE_CONTROLS = frozenset("\t\n\r")
_INVISIBLE = frozenset(chr(c) for c in (*range(0x200B, 0x2010), 0x2060, 0xFEFF, 0x061C, 0x180E))


def is_forbidden(char: str) -> bool:
    return (unicodedata.category(char) == "Cc" and char not in _LINE_CONTROLS) or char in _BIDI_CONTROLS


def is_invisible(char: str) -> bool:
    return char in _INVISIBLE


# Scripts whose letters pass for Latin ones: mixed with Latin in one word, they impersonate.
_LOOKALIKE_SCRIPTS = frozenset({"CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE", "COPTIC"})


def _script(char: str) -> str:
    return unicodedata.name(char, "").split(" ", 1)[0]


def mixes_lookalike_scripts(text: str) -> bool:
    """True when one word holds Latin letters and letters of a script that looks like Latin."""
    for word in text.split():
        scripts = {_script(c) for c in word if c.isalpha()}
        if "LATIN" in scripts and scripts & _LOOKALIKE_SCRIPTS:
            return True
    return False


def is_broken(char: str) -> bool:
    return char == "\ufffd" or unicodedata.category(char) == "Cs"


def thousands(n: int) -> str:
    """12 345 as French writes it (narrow no-break space)."""
    return f"{n:,}".replace(",", "\u202f")


@dataclass(frozen=True)
class TextRule:
    """How one kind of user text is checked. `label` starts the messages ("Le titre");
    `required` is the message for an empty text (None: it may be empty); `error` is the
    refusing domain's error class, so that its callers catch what they expect."""

    label: object
    max_length: int
    field: str | None = None
    is_multiline: bool = False
    required: object = None
    shows_length: bool = True
    is_name: bool = False
    error: type[ServiceError] = ServiceError

    def clean(self, value: str | None) -> str:
        text = value or ""
        if any(is_forbidden(c) for c in text):
            self._refuse(_("%(label)s contient des caractères non autorisés (caractère nul ou de contrôle).",
                           label=self.label))
        if any(is_broken(c) for c in text):
            self._refuse(_("%(label)s contient des caractères mal encodés (UTF-8 invalide).", label=self.label))
        if self.is_name and any(is_invisible(c) for c in text):
            self._refuse(_("%(label)s contient des caractères invisibles (espace de largeur nulle, marque de "
                           "direction) : retirez-les.", label=self.label))
        form = "NFKC" if self.is_name else "NFC"
        text = unicodedata.normalize(form, text.replace("\r\n", "\n").replace("\r", "\n"))
        text = text.strip("\n") if self.is_multiline else " ".join(text.split())
        if self.is_name and mixes_lookalike_scripts(text):
            self._refuse(_("%(label)s mêle dans un même mot des lettres latines et des lettres d'un autre alphabet "
                           "qui leur ressemblent (cyrillique, grec…) : écrivez chaque mot dans un seul alphabet.",
                           label=self.label))
        if text.isspace():
            text = ""
        if not text and self.required is not None:
            self._refuse(str(self.required))
        if len(text) > self.max_length:
            self._refuse(self._too_long(len(text)))
        return text

    def _too_long(self, length: int) -> str:
        if self.shows_length:
            return _("%(label)s ne doit pas dépasser %(max)s caractères (%(n)s actuellement).",
                     label=self.label, max=thousands(self.max_length), n=thousands(length))
        return _("%(label)s ne doit pas dépasser %(max)s caractères.", label=self.label, max=thousands(self.max_length))

    def _refuse(self, message: str):
        raise self.error(message, self.field)


def shorten(text: str, max_length: int) -> str:
    """A text made by the application (a summary quoting titles) cut to fit its column,
    at a word boundary, with an ellipsis."""
    if len(text) <= max_length:
        return text
    cut = text[: max_length - 1].rsplit(" ", 1)[0]
    return (cut or text[: max_length - 1]) + "…"
