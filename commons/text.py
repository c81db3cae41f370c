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


def sanitize_html(html: str) -> str:
    return _cleaner().clean(html)


def render_markdown(text: str) -> Markup:
    """Markdown → safe HTML, ready for a template."""
    # h1 is the page title: demote headings so an entry cannot break the page outline.
    html = _markdown().render(text or "").replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    return Markup(sanitize_html(html))


def plain_excerpt(text: str, length: int = 180) -> str:
    """A short plain-text excerpt of Markdown (for lists and meta descriptions)."""
    plain = bleach.clean(_markdown().render(text or ""), tags=set(), strip=True)
    plain = " ".join(plain.split())
    if len(plain) <= length:
        return plain
    cut = plain[:length].rsplit(" ", 1)[0]
    return cut + "…"


def fold(text: str) -> str:
    """Lower case without accents and with single spaces: "Parentalité  Numérique" → "parentalite numerique"."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())


def slugify(text: str, max_length: int = 80) -> str:
    folded = fold(text)
    out = []
    for ch in folded:
        out.append(ch if ch.isalnum() and ch.isascii() else "-")
    slug = "-".join(part for part in "".join(out).split("-") if part)
    return slug[:max_length].strip("-")


def clean_text(value: str) -> str:
    """Normalise user text: NFC, no NUL or other control characters but newlines and tabs."""
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    return "".join(c for c in value if c in "\n\t" or unicodedata.category(c) != "Cc")
