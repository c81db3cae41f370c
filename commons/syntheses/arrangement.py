"""Reading the draft editor's form: one POST carries the whole arrangement, without JavaScript.

The form lists its sections (`section` = a key, with `section-<key>-title`, `-position` and
`-remove`) and the workshop's entries (`entry` = an id, with `item-<id>-section`, `-position`,
`-include` and `-comment`). Anything a browser would not send — an unknown, repeated or missing
entry, an entry of another workshop or edition, a section that does not exist — is refused
whole with a French message: a forged request changes nothing.
"""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from commons.database import parse_int
from commons.entries.models import Entry
from commons.syntheses.models import COMMENT_MAX, SECTION_TITLE_MAX
from commons.syntheses.services import SynthesisError
from commons.validation import TextRule

SECTION_TITLE = TextRule(_l("Le titre de section"), SECTION_TITLE_MAX, "sections",
                         required=_l("Chaque section doit avoir un titre."), error=SynthesisError)
COMMENT = TextRule(_l("Le commentaire"), COMMENT_MAX, "items", is_multiline=True, error=SynthesisError)
SECTIONS_MAX = 50


def _position(raw: str | None) -> int:
    value = parse_int(raw, minimum=0)
    if value is None:
        raise SynthesisError(_("Une position doit être un nombre entier positif."), "positions")
    return value


def _sections(form: MultiDict) -> dict[str, dict]:
    """key → {title, position, index, removed, items}, plus the section to add, if titled."""
    keys = form.getlist("section")
    if len(set(keys)) != len(keys) or len(keys) > SECTIONS_MAX:
        raise SynthesisError(_("La liste des sections est invalide : rechargez la page."))
    sections = {key: {"title": SECTION_TITLE.clean(form.get(f"section-{key}-title")),
                      "position": _position(form.get(f"section-{key}-position")), "index": index,
                      "removed": bool(form.get(f"section-{key}-remove")), "items": []}
                for index, key in enumerate(keys)}
    raw_new = (form.get("new-section-title") or "").strip()
    new_title = SECTION_TITLE.clean(raw_new) if raw_new else ""
    if new_title:
        if len(keys) >= SECTIONS_MAX:
            raise SynthesisError(_("Pas plus de %(max)d sections.", max=SECTIONS_MAX))
        last = max((s["position"] for s in sections.values()), default=0)
        sections["\0new"] = {"title": new_title, "position": last + 1, "index": len(keys), "removed": False,
                             "items": []}
    return sections


def _entry_ids(form: MultiDict, entries: list[Entry]) -> list[int]:
    """The submitted ids: exactly the workshop's entries, each once."""
    known = {e.id for e in entries}
    ids = []
    for raw in form.getlist("entry"):
        entry_id = parse_int(raw)
        if entry_id is None or entry_id not in known:
            raise SynthesisError(_("La fiche « %(id)s » ne fait pas partie des fiches publiées de cet atelier : "
                                   "rien n'a été enregistré.", id=raw[:20]))
        if entry_id in ids:
            raise SynthesisError(_("La fiche n° %(id)d figure deux fois : rien n'a été enregistré.", id=entry_id))
        ids.append(entry_id)
    missing = known - set(ids)
    if missing:
        raise SynthesisError(_("Des fiches de l'atelier manquent au formulaire (n° %(ids)s) : elles ont peut-être "
                               "été ajoutées entre-temps. Rechargez la page ; rien n'a été enregistré.",
                               ids=", ".join(str(i) for i in sorted(missing))))
    return ids


def _place_items(form: MultiDict, ids: list[int], sections: dict[str, dict]) -> None:
    for index, entry_id in enumerate(ids):
        section = sections.get(form.get(f"item-{entry_id}-section") or "")
        if section is None or form.get(f"item-{entry_id}-section") == "\0new":
            raise SynthesisError(_("La fiche n° %(id)d est rangée dans une section qui n'existe pas.", id=entry_id))
        if section["removed"]:
            raise SynthesisError(_("La section « %(title)s » contient encore des fiches : déplacez-les avant de la "
                                   "supprimer.", title=section["title"]), "sections")
        section["items"].append({
            "entry_id": entry_id, "included": bool(form.get(f"item-{entry_id}-include")),
            "comment": COMMENT.clean(form.get(f"item-{entry_id}-comment")),
            "order": (_position(form.get(f"item-{entry_id}-position")), index)})


def parse(form: MultiDict, entries: list[Entry]) -> dict:
    """The arrangement to store (see `Synthesis.arrangement`), sections and items sorted by
    their position numbers (ties keep the page's order)."""
    sections = _sections(form)
    _place_items(form, _entry_ids(form, entries), sections)
    kept = sorted((s for s in sections.values() if not s["removed"]), key=lambda s: (s["position"], s["index"]))
    return {"sections": [{"title": s["title"], "items": [
        {k: v for k, v in item.items() if k != "order"} for item in sorted(s["items"], key=lambda i: i["order"])]}
        for s in kept]}
