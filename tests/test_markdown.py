"""Markdown rendering is safe: whatever a contributor types, only allowlisted HTML comes out.

Each payload is rendered and the output is parsed: the checks look at the tags and
attributes a browser would build, not at substrings, so a payload that sneaks through in
an unexpected spelling still fails the test.
"""
from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from commons.extensions import db
from commons.text import ALLOWED_TAGS, plain_excerpt, render_markdown

SAFE_SCHEMES = {"", "http", "https", "mailto"}


class Collector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def elements(html: str) -> list[tuple[str, dict]]:
    parser = Collector()
    parser.feed(str(html))
    parser.close()
    return parser.elements


def assert_safe(html: str) -> None:
    for tag, attrs in elements(html):
        assert tag in ALLOWED_TAGS, f"<{tag}> survived: {html}"
        for name, value in attrs.items():
            assert not name.startswith("on"), f"event handler {name} survived: {html}"
            assert name != "style", f"style attribute survived: {html}"
            if name in {"href", "src", "action", "formaction", "xlink:href", "data"}:
                # What the browser sees once entities are decoded (HTMLParser decoded them).
                scheme = urlsplit("".join((value or "").split())).scheme.lower()
                assert scheme in SAFE_SCHEMES, f"{scheme}: URL survived: {html}"
        if tag == "a":
            assert attrs.get("rel") == "nofollow noopener", html


PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "x <scr<script>ipt>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<a href=\"#\" onclick=\"alert(1)\">clic</a>",
    "<p onmouseover=alert(1)>survol</p>",
    "<body onload=alert(1)>",
    "[lien](javascript:alert(1))",
    "[lien](JaVaScRiPt:alert(1))",
    "[lien](  javascript:alert(1))",
    "[lien](<javascript:alert(1)>)",
    "[lien](&#106;avascript:alert(1))",
    "[lien](&#x6A;&#x61;vascript&#58;alert(1))",
    "[lien](javascript&colon;alert(1))",
    "[lien](jav&#x09;ascript:alert(1))",
    "[lien](java\tscript:alert(1))",
    "[lien](vbscript:msgbox(1))",
    "[lien](VBScript:msgbox(1))",
    "[lien](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[lien](DATA:text/html,<script>alert(1)</script>)",
    "![image](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![image](javascript:alert(1))",
    "[ref]\n\n[ref]: javascript:alert(1)",
    "[ref]\n\n[ref]: <data:text/html,x>",
    "<javascript:alert(1)>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=\"&#106;avascript:alert(1)\">x</a>",
    "<style>body{display:none}</style>",
    "<p style=\"position:fixed;top:0\">x</p>",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<svg onload=alert(1)><circle/></svg>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
    "<form action=\"https://evil.example\"><input name=p><button>OK</button></form>",
    "<object data=\"x.swf\"></object>",
    "<embed src=\"x.swf\">",
    "<meta http-equiv=refresh content=\"0;url=https://evil.example\">",
    "<link rel=stylesheet href=//evil.example/x.css>",
    "<base href=\"https://evil.example/\">",
    "<!-- <script>alert(1)</script> -->",
    "[a](https://example.org\" onmouseover=\"alert(1))",
    "[a](https://example.org \"titre\" onclick=alert(1))",
    "| a | b |\n|---|--:|\n| <b onclick=x>c</b> | [d](javascript:x) |",
    "```html\n<script>alert(1)</script>\n```",
    "    <script>alert(1)</script>",
    "`<img src=x onerror=alert(1)>`",
    "> <iframe src=x>\n> citation",
    "- <svg/onload=alert(1)>\n- item",
    "javascript:alert(1)",
    "www.example.org/<script>",
    "https://example.org/\"onmouseover=\"alert(1)",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_is_neutralised(payload):
    html = render_markdown(payload)
    assert_safe(html)
    # Belt and braces on top of the parsed check: escaped text (&lt;script) is fine, a tag is not.
    lowered = str(html).lower()
    for needle in ("<script", "<style", "<iframe", "<svg", "<math", "<form", "<object", "<embed", "<img",
                   "<meta", "<link", "<base", 'href="javascript', 'href="vbscript', 'href="data'):
        assert needle not in lowered, f"{needle} in {html}"


def test_links_get_nofollow_noopener_and_keep_safe_targets():
    html = str(render_markdown("[site](https://example.org/page \"Titre\"), [courriel](mailto:contact@example.org), "
                               "[interne](/fiches/3), https://example.org/auto et www.example.org"))
    links = [attrs for tag, attrs in elements(html) if tag == "a"]
    assert [a["href"] for a in links] == ["https://example.org/page", "mailto:contact@example.org", "/fiches/3",
                                          "https://example.org/auto", "http://www.example.org"]
    assert all(a["rel"] == "nofollow noopener" for a in links)
    assert links[0]["title"] == "Titre"


def test_a_rel_written_by_the_user_is_replaced():
    (attrs,) = [a for t, a in elements(render_markdown("[x](https://example.org)")) if t == "a"]
    assert attrs["rel"] == "nofollow noopener"


@pytest.mark.parametrize("text", ["ftp://example.org/fichier", "irc://example.org/canal"])
def test_linkify_only_makes_allowed_links(text):
    assert_safe(render_markdown(text))


def test_headings_are_demoted_below_the_page_title():
    html = str(render_markdown("# Grand titre\n\n## Section\n\ntexte"))
    tags = [t for t, _a in elements(html)]
    assert "h1" not in tags
    assert tags[:2] == ["h2", "h2"]


def test_ordinary_markdown_still_renders():
    html = str(render_markdown("**gras**, *italique*, `code`\n\n- un\n- deux\n\n1. premier\n\n> citation\n\n"
                               "| a | b |\n|---|---|\n| 1 | 2 |\n\n---"))
    tags = {t for t, _a in elements(html)}
    assert {"strong", "em", "code", "ul", "ol", "li", "blockquote", "table", "th", "td", "hr"} <= tags


def test_strikethrough_survives():
    struck = str(render_markdown("~~barré~~"))
    assert "<s>barré</s>" in struck or "<del>barré</del>" in struck


def test_html_is_shown_as_text_not_lost():
    # A mediator writing about HTML sees their words; the tags are escaped, not executed.
    assert "&lt;iframe&gt;" in str(render_markdown("Évitez les <iframe> dans vos pages"))


def test_plain_excerpt_strips_markup():
    assert plain_excerpt("# Titre\n\n**Accueillir** toute personne.") == "Titre Accueillir toute personne."
    excerpt = plain_excerpt("**Accueillir** [toute](https://example.org) personne " + "très " * 100, length=40)
    assert "**" not in excerpt and "https" not in excerpt and len(excerpt) <= 41 and excerpt.endswith("…")


def test_entry_page_never_carries_a_script(client, make_entry, workshop):
    entry = make_entry(workshop.edition, body="\n\n".join(PAYLOADS), workshop=workshop)
    page = client.get(f"/fiches/{entry.id}").get_data(as_text=True)
    assert "<script" not in page.lower()
    body = page.split('<div class="entry-body">', 1)[1].split("</div>", 1)[0]
    assert_safe(body)
    assert 'href="javascript' not in page.lower()


# --- rendered once, when saved -------------------------------------------------------------------

def test_bodies_are_rendered_when_saved_not_when_read(client, contributor_client, entry, monkeypatch):
    from commons import text

    html = client.get(f"/fiches/{entry.id}").get_data(as_text=True)
    assert "<strong>toute</strong>" in html
    assert entry.body_html == "<p>Accueillir <strong>toute</strong> personne.</p>\n"
    assert entry.excerpt == "Accueillir toute personne."

    def forbidden(*args, **kwargs):
        raise AssertionError("rendered on a read")

    monkeypatch.setattr(text, "sanitize_html", forbidden)
    monkeypatch.setattr(text.bleach, "clean", forbidden)
    for path in (f"/fiches/{entry.id}", f"/fiches/{entry.id}/historique", f"/fiches/{entry.id}/versions/1",
                 "/natures/valeur", "/etiquettes/posture", "/modifications", "/"):
        assert client.get(path).status_code == 200, path
    monkeypatch.undo()
    data = {"kind": "valeur", "title": entry.title, "body": "Un *nouveau* texte <script>x</script>", "tags": "Posture",
            "workshop": f"w{entry.workshop_id}", "summary": "", "base_revision": "1"}
    assert contributor_client.post(f"/fiches/{entry.id}/modifier", data=data).status_code == 302
    db.session.expire_all()
    assert entry.body_html == "<p>Un <em>nouveau</em> texte &lt;script&gt;x&lt;/script&gt;</p>\n"
    assert entry.revisions[-1].body_html == entry.body_html and entry.revisions[0].body_html != entry.body_html


def test_render_command_renders_every_body_again(runner, entry):
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE entries SET body_html = 'périmé', excerpt = 'périmé'"))
        conn.execute(sa.text("UPDATE revisions SET body_html = 'périmé'"))
    result = runner.invoke(args=["entries", "render"])
    assert result.exit_code == 0 and "1 fiche(s) et 1 version(s) rendues." in result.output
    db.session.expire_all()
    assert entry.body_html == render_markdown(entry.body) and entry.excerpt == "Accueillir toute personne."
    assert entry.revisions[0].body_html == entry.body_html


def test_excerpts_are_plain_text_escaped_once(client, workshop, make_entry):
    assert plain_excerpt("Parents & enfants, **écrans** <3") == "Parents & enfants, écrans <3"
    make_entry(workshop.edition, "Écrans en famille", workshop=workshop, body="Parents & enfants <3")
    page = client.get(f"/editions/{workshop.edition.slug}/ateliers/{workshop.slug}").get_data(as_text=True)
    assert "Parents &amp; enfants &lt;3" in page and "&amp;amp;" not in page
