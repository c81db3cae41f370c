"""Synthesis operations: the draft as it shows, saving it, publishing a version. They flush
but never commit (the request does, once), and check everything before their first write."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from commons.accounts.models import User
from commons.database import claim, insert_or_ignore
from commons.editions.models import Workshop
from commons.entries.models import Entry, EntryStatus
from commons.errors import ConflictError, ServiceError
from commons.extensions import db
from commons.kinds import EntryKind
from commons.models import utcnow
from commons.syntheses.models import TEXT_MAX, Synthesis, SynthesisVersion
from commons.text import render_markdown
from commons.validation import TextRule


class SynthesisError(ServiceError):
    """Invalid synthesis input or action; nothing was written."""


class PublishConflict(SynthesisError, ConflictError):
    """Someone published the same version number first (409)."""


class DraftConflict(SynthesisError, ConflictError):
    """Someone saved the draft since this form was opened (409): nothing of this save is kept."""


INTRO = TextRule(_l("L'introduction"), TEXT_MAX, "intro", is_multiline=True, error=SynthesisError)
CONCLUSION = TextRule(_l("La conclusion"), TEXT_MAX, "conclusion", is_multiline=True, error=SynthesisError)


@dataclass
class DraftItem:
    entry: Entry
    included: bool = True
    comment: str = ""


@dataclass
class DraftSection:
    title: str
    items: list[DraftItem]


def synthesis_of(workshop: Workshop) -> Synthesis | None:
    return db.session.scalar(sa.select(Synthesis).where(Synthesis.workshop_id == workshop.id))


def workshop_entries(workshop: Workshop) -> list[Entry]:
    """The entries a synthesis may include: the workshop's published ones, each sub-item right
    after its parent (positions count within a parent, so a flat sort would interleave them)."""
    entries = db.session.scalars(sa.select(Entry).where(
        Entry.workshop_id == workshop.id, Entry.status == EntryStatus.PUBLISHED).order_by(Entry.position, Entry.id))
    ids = set()
    children: dict[int | None, list[Entry]] = {}
    for entry in entries:
        ids.add(entry.id)
        children.setdefault(entry.parent_id, []).append(entry)

    def walk(parent_id: int | None):
        for entry in children.get(parent_id, []):
            yield entry
            yield from walk(entry.id)

    # An entry whose parent is not among them (archived, another workshop) starts a tree of its own.
    roots = [e for parent_id, group in children.items() if parent_id is None or parent_id not in ids for e in group]
    return [e for root in sorted(roots, key=lambda e: (e.position, e.id)) for e in [root, *walk(root.id)]]


def default_sections(entries: list[Entry]) -> list[DraftSection]:
    """One section per kind present, in the kinds' order, every entry included."""
    return [DraftSection(kind.plural, [DraftItem(e) for e in entries if e.kind is kind])
            for kind in EntryKind if any(e.kind is kind for e in entries)]


def draft_sections(workshop: Workshop, synthesis: Synthesis | None) -> list[DraftSection]:
    """The draft as it shows now. Entries archived or moved away since the last save drop out;
    entries added since join the last section, left out until the facilitator includes them."""
    entries = workshop_entries(workshop)
    if synthesis is None or synthesis.arrangement is None:
        return default_sections(entries)
    by_id = {e.id: e for e in entries}
    sections = [DraftSection(s["title"], [DraftItem(by_id.pop(i["entry_id"]), i["included"], i["comment"])
                                          for i in s["items"] if i["entry_id"] in by_id])
                for s in synthesis.arrangement["sections"]]
    if by_id:
        if not sections:
            sections.append(DraftSection(_("Fiches"), []))
        sections[-1].items.extend(DraftItem(e, included=False) for e in by_id.values())
    return sections


def save_draft(workshop: Workshop, author: User | None, *, intro: str, conclusion: str, arrangement: dict,
               base: int) -> Synthesis:
    """Store the texts (rendered now, not on each view) and an arrangement that
    `arrangement.parse` has checked against the workshop's entries; `base` is the draft number
    the form was opened at. Another save since then wins: this one is refused (409)."""
    intro, conclusion = INTRO.clean(intro), CONCLUSION.clean(conclusion)
    synthesis = _synthesis_row(workshop)
    if not claim(synthesis, "draft_number", base, base + 1):
        raise DraftConflict(_("Quelqu'un a enregistré ce brouillon depuis que vous l'avez ouvert : rien n'a été "
                              "enregistré. Vos textes sont ci-dessous ; le classement montré est celui enregistré "
                              "par l'autre personne. Reportez vos changements puis enregistrez de nouveau."))
    synthesis.intro, synthesis.intro_html = intro, str(render_markdown(intro))
    synthesis.conclusion, synthesis.conclusion_html = conclusion, str(render_markdown(conclusion))
    synthesis.arrangement = arrangement
    synthesis.updated_by_id = author.id if author is not None else None
    db.session.flush()
    return synthesis


def _synthesis_row(workshop: Workshop) -> Synthesis:
    """The workshop's synthesis row, made if missing. Two first saves at once both get the one
    row (ON CONFLICT DO NOTHING) instead of one failing on the unique workshop."""
    insert_or_ignore(Synthesis.__table__, [{"workshop_id": workshop.id, "intro": "", "intro_html": "",
                                             "conclusion": "", "conclusion_html": "", "updated_at": utcnow()}],
                     ["workshop_id"])
    return synthesis_of(workshop)


def _snapshot(item: DraftItem) -> dict:
    entry = item.entry
    return {"entry_id": entry.id, "revision": entry.revision_number, "kind": entry.kind.value,
            "title": entry.title, "body": entry.body, "body_html": entry.body_html, "comment": item.comment}


def publish(workshop: Workshop, author: User | None) -> SynthesisVersion:
    """Freeze the draft as the next version: its texts and the current text of every included
    entry. An empty synthesis (no text, no included entry) is refused."""
    synthesis = synthesis_of(workshop)
    sections = [{"title": s.title, "items": [_snapshot(i) for i in s.items if i.included]}
                for s in draft_sections(workshop, synthesis)]
    sections = [s for s in sections if s["items"]]
    has_text = synthesis is not None and (synthesis.intro or synthesis.conclusion)
    if not sections and not has_text:
        raise SynthesisError(_("La synthèse est vide : écrivez une introduction ou une conclusion, ou incluez au "
                               "moins une fiche, avant de la publier."))
    synthesis = synthesis or _synthesis_row(workshop)
    last = db.session.scalar(sa.select(sa.func.max(SynthesisVersion.number))
                             .where(SynthesisVersion.synthesis_id == synthesis.id)) or 0
    row = {"synthesis_id": synthesis.id, "number": last + 1, "published_at": utcnow(),
           "published_by_id": author.id if author is not None else None, "intro": synthesis.intro,
           "intro_html": synthesis.intro_html, "conclusion": synthesis.conclusion,
           "conclusion_html": synthesis.conclusion_html, "content": {"sections": sections}}
    # The unique (synthesis, number) pair decides between two publications at the same moment.
    if not insert_or_ignore(SynthesisVersion.__table__, [row], ["synthesis_id", "number"]):
        raise PublishConflict(_("Quelqu'un vient de publier la version %(number)d de cette synthèse : relisez-la "
                                "puis publiez à nouveau si besoin.", number=last + 1))
    return db.session.scalar(sa.select(SynthesisVersion).where(SynthesisVersion.synthesis_id == synthesis.id,
                                                                SynthesisVersion.number == last + 1))
