"""Markdown rendering and HTML sanitising: the only place that imports bleach.

Entries are written by any signed-in mediator and read by everybody, so their Markdown is
untrusted. markdown-it renders it with raw HTML disabled, then bleach keeps only an
allowlist of tags and attributes. Together they block:

- script injection: `<script>`, `<style>`, `<iframe>`, `<object>`, `<embed>`, `<svg>`,
  `<math>`, `<form>` and every other tag off the list are escaped or removed;
- event handlers (`onclick`, `onerror`...) and `style` attributes: no attribute survives
  unless it is listed for its tag;
- dangerous URLs: only http, https and mailto links (and relative ones) are kept, so
  `javascript:`, `vbscript:` and `data:` URLs are dropped, however they are encoded;
- tabnabbing and link spam: every link gets `rel="nofollow noopener"`.
"""
from __future__ import annotations

import html
import unicodedata
from functools import lru_cache

import bleach
from bleach.linkifier import LinkifyFilter, build_url_re
from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_TAGS = frozenset({
    "a", "abbr", "blockquote", "br", "code", "del", "em", "h2", "h3", "h4", "h5", "h6",
    "hr", "li", "ol", "p", "pre", "s", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
})
ALLOWED_ATTRIBUTES = {"a": ["href", "title", "rel"], "abbr": ["title"], "th": ["align"], "td": ["align"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
# Linkify runs after the sanitizer: give it only the web protocols, or it would link ftp://, irc://...
_LINKIFY_URL_RE = build_url_re(protocols=["http", "https"])


def _set_rel(attrs: dict, new: bool = False) -> dict:
    attrs[(None, "rel")] = "nofollow noopener"
    return attrs


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    # "js-default": raw HTML off, and markdown-it's own link validation on.
    md = MarkdownIt("js-default", {"linkify": False, "typographer": False})
    md.enable("table").enable("strikethrough")
    return md


@lru_cache(maxsize=1)
def _cleaner() -> bleach.Cleaner:
    return bleach.Cleaner(
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
        filters=[lambda source: LinkifyFilter(source, callbacks=[_set_rel], parse_email=False, url_re=_LINKIFY_URL_RE)],
    )


def sanitize_html(markup: str) -> str:
    return _cleaner().clean(markup)


def render_markdown(text: str) -> Markup:
    """Markdown → safe HTML, ready for a template."""
    # h1 is the page title: demote headings so an entry cannot break the page outline.
    rendered = _markdown().render(text or "").replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    return Markup(sanitize_html(rendered))


def plain_excerpt(text: str, length: int = 180) -> str:
    """A short plain-text excerpt of Markdown (for lists and meta descriptions).

    Renders and cleans the whole text: entries store theirs when saved, and lists `clip` it.
    bleach answers HTML ("&amp;"): unescaped here, it is plain text that templates escape once,
    so "Parents & enfants" does not show as "Parents &amp; enfants".
    """
    plain = html.unescape(bleach.clean(_markdown().render(text or ""), tags=set(), strip=True))
    return clip(" ".join(plain.split()), length)


def clip(plain: str, length: int = 180) -> str:
    """Plain text cut at a word boundary to about `length` characters, with an ellipsis."""
    if len(plain) <= length:
        return plain
    cut = plain[:length].rsplit(" ", 1)[0]
    return cut.rstrip(" …") + "…"


# Letters that Unicode does not decompose into a base letter plus an accent.
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th"})
TAG_SLUG_MAX = 80


def fold(text: str) -> str:
    """Lower case, no accents, ligatures spelt out, single spaces: "Œuvre  Médiatrice" → "oeuvre mediatrice".

    The one folding of the project: tags are stored and searched with it, and the search
    analyzer indexes words with it, so that what is typed meets what is stored.
    """
    folded = text.casefold().translate(_LIGATURES)
    if not folded.isascii():
        folded = "".join(c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c))
    return " ".join(folded.split())


def _slug(text: str, max_length: int, is_ascii: bool) -> str:
    chars = (c if c.isalnum() and (c.isascii() or not is_ascii) else "-" for c in fold(text))
    slug = "-".join(part for part in "".join(chars).split("-") if part)
    return slug[:max_length].strip("-")


def slugify(text: str, max_length: int = 80) -> str:
    """An address part (edition, workshop): ASCII letters, digits and dashes only."""
    return _slug(text, max_length, is_ascii=True)


def tag_slug(name: str) -> str:
    """The identity of a tag, used both to store it and to filter a search by it.

    "Parentalité numérique", "parentalite  numerique" and "PARENTALITÉ-NUMÉRIQUE" share
    `parentalite-numerique`; "Cœur" is `coeur`. Letters of other scripts are kept (not
    dropped), so a tag written in Greek or Arabic still has an identity.
    """
    return _slug(name, TAG_SLUG_MAX, is_ascii=False)
