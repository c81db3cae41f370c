"""Differences between two published versions: each is rendered as plain text (titles, texts,
every included entry with its comment), then compared with the entries' word diff engine."""
from __future__ import annotations

from flask_babel import gettext as _

from commons.entries.diff import Segment, condense, diff_text
from commons.kinds import EntryKind
from commons.syntheses.models import SynthesisVersion


def _item_text(item: dict) -> list[str]:
    kind = EntryKind.from_value(item.get("kind"))
    lines = [f"### {item['title']}" + (f" ({kind.label})" if kind else ""), item.get("body", "")]
    if item.get("comment"):
        lines.append(_("Commentaire : %(text)s", text=item["comment"]))
    return lines + [""]


def plain_text(version: SynthesisVersion) -> str:
    """The version as text: what a reader sees, without the page around it."""
    lines = [f"# {_('Introduction')}", version.intro, ""]
    for section in version.sections:
        lines += [f"## {section['title']}", ""]
        for item in section["items"]:
            lines += _item_text(item)
    lines += [f"# {_('Conclusion')}", version.conclusion]
    return "\n".join(lines) + "\n"


def diff_versions(old: SynthesisVersion, new: SynthesisVersion) -> list[Segment]:
    return condense(diff_text(plain_text(old), plain_text(new)))
