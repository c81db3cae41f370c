"""Comparing the index with the database, document by document."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from commons.extensions import db
from commons.search.documents import REGISTRY
from commons.search.service import SearchService

# Stored fields that must equal what the database would produce today.
COMPARED = {"title": _l("titre"), "body": _l("texte"), "kind": _l("nature"), "status": _l("statut"),
            "edition": _l("édition"), "workshop": _l("atelier"), "tag": _l("étiquettes"), "date": _l("date"),
            "lineage": _l("filiation")}
TYPE_LABELS = {"entry": _l("fiche"), "workshop": _l("atelier"), "edition": _l("édition")}


@dataclass
class Report:
    missing: list[str] = field(default_factory=list)  # in the database, not in the index
    extra: list[str] = field(default_factory=list)  # in the index, not in the database
    different: list[tuple[str, list[str]]] = field(default_factory=list)
    checked: int = 0

    @property
    def is_consistent(self) -> bool:
        return not (self.missing or self.extra or self.different)

    def lines(self) -> list[str]:
        out = [_("Absent de l'index : %(doc)s", doc=k) for k in self.missing]
        out += [_("En trop dans l'index : %(doc)s", doc=k) for k in self.extra]
        out += [_("Différent : %(doc)s (%(fields)s)", doc=k, fields=", ".join(map(str, fields))) for k, fields in self.different]
        return out


def _label(key: str) -> str:
    doc_type, _, doc_id = key.partition(":")
    return f"{TYPE_LABELS.get(doc_type, doc_type)} {doc_id}"


def _norm(name: str, value):
    if isinstance(value, datetime):
        return value.replace(microsecond=value.microsecond // 1000 * 1000)  # the index keeps milliseconds
    return value if value not in ("", None) else None


def compare(svc: SearchService) -> Report:
    report = Report()
    indexed: dict[str, dict] = {}
    with svc.folder().ix.searcher() as searcher:
        for stored in searcher.reader().all_stored_fields():
            indexed[stored["key"]] = stored
    with db.engine.connect() as conn:
        for doc_type in REGISTRY.values():
            for batch in doc_type.iter_all(conn):
                for doc in batch:
                    key = doc["key"]
                    report.checked += 1
                    stored = indexed.pop(key, None)
                    if stored is None:
                        report.missing.append(_label(key))
                        continue
                    diffs = [label for name, label in COMPARED.items()
                             if _norm(name, doc.get(name)) != _norm(name, stored.get(name))]
                    if diffs:
                        report.different.append((_label(key), diffs))
    report.extra = sorted(_label(k) for k in indexed)
    return report
