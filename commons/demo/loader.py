"""Load the NEC Sud-Ouest demo editions from the JSON files of this package.

The file is checked in full before anything is written, and every problem names the item
at fault (``workshops[6] « passerelles-… ».entries[2]``), so a typo in the data fails
loudly instead of loading half an edition. Loading is idempotent: an edition whose slug
is already in the database is left alone, whatever it became since.

Entries go through `commons.entries.services.create_entry`, so each one gets its first
revision, like an entry typed in the web form. The loader flushes; the caller commits.
"""
from __future__ import annotations

import json
import re
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from commons.editions.models import Edition, GuidingQuestion, Structure, Workshop, WorkshopFormat
from commons.editions.queries import get_edition
from commons.entries.services import EntryError, create_entry, parse_tags, validate_body, validate_title
from commons.extensions import db
from commons.kinds import EntryKind
from commons.text import slugify

DATA_DIR = Path(__file__).resolve().parent
DEMO_2023 = DATA_DIR / "nec-sud-ouest-2023.json"
IMPORT_SUMMARY_2023 = "Import du bilan NEC Sud-Ouest 2023"
# The report was written in the weeks after the event: a fixed date keeps every load identical.
IMPORTED_AT_2023 = datetime(2023, 6, 30, 10, 0)

FORMAT_VERSION = 1
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_WORKSHOP_TITLE_MAX = 300
_QUESTION_MAX = 300


class DemoDataError(ValueError):
    """The data file is malformed; the message names the file and the item."""


# --- reading and checking ------------------------------------------------------------------------

def read_data(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DemoDataError(f"{path.name} : fichier introuvable ({path})") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DemoDataError(f"{path.name} : JSON illisible ({exc})") from exc
    return data


class _Checker:
    def __init__(self, source: str):
        self.source = source

    def fail(self, where: str, message: str):
        raise DemoDataError(f"{self.source} : {where} : {message}")

    def keys(self, where: str, item: Any, required: set[str], optional: set[str] = frozenset()) -> dict:
        if not isinstance(item, dict):
            self.fail(where, "un objet JSON est attendu")
        missing = required - item.keys()
        if missing:
            self.fail(where, f"champ(s) manquant(s) : {', '.join(sorted(missing))}")
        unknown = item.keys() - required - optional
        if unknown:
            self.fail(where, f"champ(s) inconnu(s) : {', '.join(sorted(unknown))}")
        return item

    def text(self, where: str, value: Any, *, max_length: int | None = None, empty: bool = True) -> str:
        if not isinstance(value, str):
            self.fail(where, "une chaîne de caractères est attendue")
        if not empty and not value.strip():
            self.fail(where, "ne doit pas être vide")
        if max_length is not None and len(value) > max_length:
            self.fail(where, f"dépasse {max_length} caractères")
        return value

    def slug(self, where: str, value: Any) -> str:
        self.text(where, value, empty=False)
        if slugify(value, 160) != value:
            self.fail(where, f"identifiant « {value} » mal formé (attendu : « {slugify(value, 160)} »)")
        return value

    def day(self, where: str, value: Any) -> date:
        text = self.text(where, value)
        try:
            return date.fromisoformat(text)
        except ValueError:
            self.fail(where, f"date « {value} » invalide (attendu : AAAA-MM-JJ)")

    def clock(self, where: str, value: Any) -> time:
        if not isinstance(value, str) or not _TIME.match(value):
            self.fail(where, f"heure « {value} » invalide (attendu : HH:MM)")
        return time.fromisoformat(value)

    def strings(self, where: str, value: Any) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(where, "une liste de chaînes est attendue")
        return value


def _label(index: int, item: Any, key: str) -> str:
    name = item.get(key) if isinstance(item, dict) else None
    return f"[{index}] « {name} »" if isinstance(name, str) else f"[{index}]"


def validate(data: Any, *, source: str = "données", known_structures: set[str] = frozenset()) -> None:
    """Raise DemoDataError on the first problem. `known_structures`: slugs already in the database."""
    check = _Checker(source)
    check.keys("racine", data, {"format", "edition", "structures", "workshops"}, {"notes", "source"})
    if data["format"] != FORMAT_VERSION:
        check.fail("format", f"version {data['format']!r} non prise en charge (attendu : {FORMAT_VERSION})")

    if not isinstance(data["structures"], list):
        check.fail("structures", "une liste est attendue")
    structures = set(known_structures)
    seen: set[str] = set()
    for i, item in enumerate(data["structures"]):
        where = "structures" + _label(i, item, "slug")
        check.keys(where, item, {"slug", "name"}, {"description", "place"})
        slug = check.slug(where + ".slug", item["slug"])
        if slug in seen:
            check.fail(where, "identifiant en double")
        seen.add(slug)
        check.text(where + ".name", item["name"], max_length=200, empty=False)
        check.text(where + ".description", item.get("description", ""))
        check.text(where + ".place", item.get("place", ""), max_length=200)
    structures |= seen

    def structure_refs(where: str, value: Any) -> None:
        for slug in check.strings(where, value):
            if slug not in structures:
                check.fail(where, f"structure « {slug} » inconnue")

    edition = check.keys(
        "edition", data["edition"], {"slug", "name", "year", "starts_on", "ends_on"},
        {"place", "venue", "description", "organisers", "axes", "is_illustrative"},
    )
    check.slug("edition.slug", edition["slug"])
    check.text("edition.name", edition["name"], max_length=200, empty=False)
    if not isinstance(edition["year"], int) or not 1990 <= edition["year"] <= 2100:
        check.fail("edition.year", "année invalide")
    starts_on = check.day("edition.starts_on", edition["starts_on"])
    ends_on = check.day("edition.ends_on", edition["ends_on"])
    if ends_on < starts_on:
        check.fail("edition.ends_on", "la fin précède le début")
    for key in ("place", "venue"):
        check.text(f"edition.{key}", edition.get(key, ""), max_length=200)
    check.text("edition.description", edition.get("description", ""))
    if not isinstance(edition.get("is_illustrative", False), bool):
        check.fail("edition.is_illustrative", "un booléen est attendu")
    structure_refs("edition.organisers", edition.get("organisers", []))
    axes = set(check.strings("edition.axes", edition.get("axes", [])))

    if not isinstance(data["workshops"], list):
        check.fail("workshops", "une liste est attendue")
    slugs: set[str] = set()
    for i, item in enumerate(data["workshops"]):
        where = "workshops" + _label(i, item, "slug")
        check.keys(where, item, {"slug", "title", "format", "day", "start"},
                   {"end", "room", "axis", "structures", "description", "report", "questions", "entries"})
        slug = check.slug(where + ".slug", item["slug"])
        if slug in slugs:
            check.fail(where, "identifiant en double")
        slugs.add(slug)
        check.text(where + ".title", item["title"], max_length=_WORKSHOP_TITLE_MAX, empty=False)
        if check.text(where + ".format", item["format"]) not in {f.value for f in WorkshopFormat}:
            check.fail(where + ".format", f"format « {item['format']} » inconnu "
                       f"(attendu : {', '.join(f.value for f in WorkshopFormat)})")
        day = check.day(where + ".day", item["day"])
        if not starts_on <= day <= ends_on:
            check.fail(where + ".day", "jour hors des dates de l'édition")
        start = check.clock(where + ".start", item["start"])
        if item.get("end") is not None and check.clock(where + ".end", item["end"]) <= start:
            check.fail(where + ".end", "la fin doit suivre le début")
        check.text(where + ".room", item.get("room", ""), max_length=120)
        axis = check.text(where + ".axis", item.get("axis", ""), max_length=200)
        if axis and axis not in axes:
            check.fail(where + ".axis", f"axe « {axis} » absent de edition.axes")
        check.text(where + ".description", item.get("description", ""))
        check.text(where + ".report", item.get("report", ""))
        structure_refs(where + ".structures", item.get("structures", []))
        for j, question in enumerate(item.get("questions", [])):
            qwhere = f"{where}.questions[{j}]"
            check.keys(qwhere, question, {"text"}, {"kind"})
            check.text(qwhere + ".text", question["text"], max_length=_QUESTION_MAX, empty=False)
            qkind = question.get("kind")
            if qkind is not None and (not isinstance(qkind, str) or EntryKind.from_value(qkind) is None):
                check.fail(qwhere + ".kind", f"nature « {question['kind']} » inconnue")
        _validate_entries(check, where + ".entries", item.get("entries", []), parent_kind=None)


def _validate_entries(check: _Checker, where: str, items: Any, parent_kind: str | None) -> None:
    if not isinstance(items, list):
        check.fail(where, "une liste est attendue")
    for i, item in enumerate(items):
        iwhere = where + _label(i, item, "title")
        check.keys(iwhere, item, {"title"} | ({"kind"} if parent_kind is None else set()),
                   {"kind", "body", "tags", "children"})
        kind = item.get("kind", parent_kind)
        if not isinstance(kind, str) or EntryKind.from_value(kind) is None:
            check.fail(iwhere + ".kind", f"nature « {kind} » inconnue "
                       f"(attendu : {', '.join(k.value for k in EntryKind)})")
        try:
            validate_title(check.text(iwhere + ".title", item["title"]))
            validate_body(check.text(iwhere + ".body", item.get("body", "")))
            parse_tags(check.strings(iwhere + ".tags", item.get("tags", [])))
        except EntryError as exc:
            check.fail(iwhere, str(exc))
        _validate_entries(check, iwhere + ".children", item.get("children", []), parent_kind=kind)


# --- writing -------------------------------------------------------------------------------------

def load_edition_data(data: dict[str, Any], *, summary: str, created_at: datetime,
                      source: str = "données") -> Edition | None:
    """Create the edition described by `data`; None when its slug is already present."""
    existing_structures = {s.slug: s for s in db.session.scalars(sa.select(Structure))}
    validate(data, source=source, known_structures=set(existing_structures))
    spec = data["edition"]
    if get_edition(spec["slug"]) is not None:
        return None
    structures = _add_structures(data["structures"], existing_structures)
    edition = Edition(
        slug=spec["slug"], name=spec["name"], year=spec["year"],
        place=spec.get("place", ""), venue=spec.get("venue", ""),
        starts_on=date.fromisoformat(spec["starts_on"]), ends_on=date.fromisoformat(spec["ends_on"]),
        description=spec.get("description", ""), is_illustrative=spec.get("is_illustrative", False),
        organisers=[structures[s] for s in spec.get("organisers", [])],
    )
    db.session.add(edition)
    for item in data["workshops"]:
        workshop = _add_workshop(edition, item, structures)
        _create_entries(edition, workshop, item.get("entries", []), parent=None,
                        summary=summary, created_at=created_at)
    db.session.flush()
    return edition


def _add_structures(items: list[dict], existing: dict[str, Structure]) -> dict[str, Structure]:
    structures = dict(existing)
    for item in items:
        # A structure shared with another edition keeps what the database says about it.
        if item["slug"] not in structures:
            structures[item["slug"]] = Structure(
                slug=item["slug"], name=item["name"],
                description=item.get("description", ""), place=item.get("place", ""),
            )
            db.session.add(structures[item["slug"]])
    return structures


def _add_workshop(edition: Edition, item: dict, structures: dict[str, Structure]) -> Workshop:
    day = date.fromisoformat(item["day"])
    workshop = Workshop(
        edition=edition, slug=item["slug"], title=item["title"], format=WorkshopFormat(item["format"]),
        starts_at=datetime.combine(day, time.fromisoformat(item["start"])),
        ends_at=datetime.combine(day, time.fromisoformat(item["end"])) if item.get("end") else None,
        room=item.get("room", ""), axis=item.get("axis", ""),
        description=item.get("description", ""), report=item.get("report", ""),
        structures=[structures[s] for s in item.get("structures", [])],
        questions=[
            GuidingQuestion(position=position, text=q["text"], kind=EntryKind.from_value(q.get("kind")))
            for position, q in enumerate(item.get("questions", []))
        ],
    )
    db.session.add(workshop)
    db.session.flush()
    return workshop


def _create_entries(edition: Edition, workshop: Workshop, items: list[dict], *, parent, summary: str,
                    created_at: datetime) -> None:
    # Positions count within one kind of one workshop (or one parent), the order of the report.
    positions: dict[str, int] = {}
    for item in items:
        kind = EntryKind(item.get("kind") or parent.kind.value)
        position = positions.get(kind.value, 0)
        positions[kind.value] = position + 1
        entry = create_entry(
            edition=edition, workshop=workshop, kind=kind, title=item["title"], body=item.get("body", ""),
            tags=item.get("tags", []), author=None, parent=parent, position=position,
            summary=summary, created_at=created_at,
        )
        _create_entries(edition, workshop, item.get("children", []), parent=entry,
                        summary=summary, created_at=created_at)


def load_edition_file(path: Path, *, summary: str, created_at: datetime) -> Edition | None:
    return load_edition_data(read_data(path), summary=summary, created_at=created_at, source=path.name)


def load_demo() -> bool:
    """Load every demo edition that is missing; True when something was added. Flushes, never commits."""
    from commons.demo.edition_2024 import load_2024
    from commons.demo.resources_2023 import load_resources_2023
    from commons.demo.syntheses_2023 import load_syntheses_2023

    loaded = load_edition_file(DEMO_2023, summary=IMPORT_SUMMARY_2023, created_at=IMPORTED_AT_2023) is not None
    loaded = load_resources_2023() or loaded
    loaded = load_2024() or loaded
    loaded = load_syntheses_2023() or loaded
    db.session.flush()
    return loaded
