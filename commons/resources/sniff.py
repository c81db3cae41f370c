"""What a document is, read from its first bytes and, for zip containers, from their entries.

No system library (libmagic) for a handful of formats: a PDF, a PNG or a JPEG says so in its
first bytes; an OpenDocument file is a zip whose first entry, `mimetype`, holds its exact
media type; an Office Open XML file is a zip with `[Content_Types].xml` and a `word/`, `xl/`
or `ppt/` folder. Anything else is unknown, whatever its name says.
"""
from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class DocumentType:
    media_type: str
    extensions: tuple[str, ...]
    label: object


_ODF = "application/vnd.oasis.opendocument."
_OOXML = "application/vnd.openxmlformats-officedocument."
TYPES = {t.media_type: t for t in (
    DocumentType("application/pdf", ("pdf",), _l("PDF")),
    DocumentType("image/png", ("png",), _l("Image PNG")),
    DocumentType("image/jpeg", ("jpg", "jpeg"), _l("Image JPEG")),
    DocumentType(_ODF + "text", ("odt",), _l("Texte OpenDocument")),
    DocumentType(_ODF + "spreadsheet", ("ods",), _l("Classeur OpenDocument")),
    DocumentType(_ODF + "presentation", ("odp",), _l("Présentation OpenDocument")),
    DocumentType(_OOXML + "wordprocessingml.document", ("docx",), _l("Document Word")),
    DocumentType(_OOXML + "spreadsheetml.sheet", ("xlsx",), _l("Classeur Excel")),
    DocumentType(_OOXML + "presentationml.presentation", ("pptx",), _l("Présentation PowerPoint")),
)}
EXTENSIONS = sorted(ext for t in TYPES.values() for ext in t.extensions)

_MAGIC = ((b"%PDF-", "application/pdf"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"))
_OOXML_FOLDERS = (("word/", "wordprocessingml.document"), ("xl/", "spreadsheetml.sheet"),
                  ("ppt/", "presentationml.presentation"))


def sniff(path: Path) -> DocumentType | None:
    """The type of the file at `path`, from its content; None when it is none of TYPES."""
    with path.open("rb") as fh:
        head = fh.read(8)
    for magic, media_type in _MAGIC:
        if head.startswith(magic):
            return TYPES[media_type]
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(path)
    return None


def _sniff_zip(path: Path) -> DocumentType | None:
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            if not entries:
                return None
            first = entries[0]
            if first.filename == "mimetype" and first.file_size <= 100:
                # Read at most the declared size: a forged entry cannot make us inflate more.
                declared = archive.read(first).decode("ascii", "replace").strip()
                return TYPES.get(declared) if declared.startswith(_ODF) else None
            names = {e.filename for e in entries}
            if "[Content_Types].xml" not in names:
                return None
            for folder, suffix in _OOXML_FOLDERS:
                if any(name.startswith(folder) for name in names):
                    return TYPES[_OOXML + suffix]
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError):
        return None
    return None


def extension_of(file_name: str) -> str:
    return file_name.rsplit(".", 1)[1].lower() if "." in file_name else ""
