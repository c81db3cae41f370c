"""Adding, ordering and removing a workshop's resources. Services flush, never commit;
everything is checked before the first write, so a refusal changes nothing."""
from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from commons.accounts.models import User
from commons.editions.models import Edition, Workshop
from commons.errors import ServiceError
from commons.extensions import db
from commons.resources import sniff, storage
from commons.resources.models import FILE_NAME_MAX, TITLE_MAX, URL_MAX, ResourceKind, WorkshopResource
from commons.validation import TextRule, thousands

MAX_FILE_BYTES = 20 * 1024 * 1024


class ResourceError(ServiceError):
    pass


TITLE = TextRule(_l("Le titre"), TITLE_MAX, field="title", required=_l("Le titre est obligatoire."),
                 error=ResourceError)
URL = TextRule(_l("L'adresse"), URL_MAX, field="url", required=_l("L'adresse du lien est obligatoire."),
               error=ResourceError)
FILE_NAME = TextRule(_l("Le nom du fichier"), FILE_NAME_MAX, field="file", shows_length=False,
                     required=_l("Choisissez un fichier à envoyer."), error=ResourceError)


def clean_url(raw: str) -> str:
    """An absolute http(s) address with a host, nothing else: a `javascript:` or `data:` link
    would run in the reader's page, a relative one would point into the commons itself."""
    url = URL.clean(raw)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in {"http", "https"} or not parts.hostname or " " in url:
        raise ResourceError(_("Indiquez une adresse complète commençant par http:// ou https:// "
                              "(par exemple https://www.education.gouv.fr/)."), "url")
    return url


def clean_file_name(raw: str | None) -> str:
    """The name to show: refused, not trimmed, when it holds a path (a browser sends the bare
    name; a path is a forged request) or control characters; accents kept."""
    name = FILE_NAME.clean(raw)
    if any(c in name for c in "/\\:") or name.startswith("."):
        raise ResourceError(_("Le nom du fichier ne doit pas contenir de chemin (« / », « \\ », « : ») ni commencer "
                              "par un point : renommez-le."), "file")
    return unicodedata.normalize("NFC", name)


def _next_position(workshop: Workshop) -> int:
    last = db.session.scalar(sa.select(sa.func.max(WorkshopResource.position))
                             .where(WorkshopResource.workshop_id == workshop.id))
    return 0 if last is None else last + 1


def add_link(workshop: Workshop, *, title: str, url: str, author: User | None) -> WorkshopResource:
    resource = WorkshopResource(workshop=workshop, kind=ResourceKind.LINK, title=TITLE.clean(title),
                                url=clean_url(url), position=_next_position(workshop),
                                created_by_id=author.id if author else None)
    db.session.add(resource)
    db.session.flush()
    return resource


def add_file(workshop: Workshop, *, title: str, file_name: str | None, stream: BinaryIO,
             author: User | None) -> WorkshopResource:
    """Store an upload whose content is one of the accepted types and agrees with its name."""
    name = clean_file_name(file_name)
    title = TITLE.clean(title or name.rsplit(".", 1)[0])
    try:
        written = storage.write_temporary(stream, MAX_FILE_BYTES)
    except storage.TooLarge:
        raise ResourceError(too_large_message(), "file") from None
    try:
        kind = _checked_type(written, name)
    except ResourceError:
        storage.discard(written.path)
        raise
    stored_name = storage.keep(db.session, written.path)
    resource = WorkshopResource(
        workshop=workshop, kind=ResourceKind.FILE, title=title, file_name=name, stored_name=stored_name,
        media_type=kind.media_type, size=written.size, sha256=written.sha256,
        position=_next_position(workshop), created_by_id=author.id if author else None)
    db.session.add(resource)
    db.session.flush()
    return resource


def too_large_message() -> str:
    return _("Le fichier dépasse la taille maximale de %(max)s Mo : réduisez-le ou partagez-le par un lien.",
             max=thousands(MAX_FILE_BYTES // 2**20))


def _checked_type(written: storage.Stored, name: str) -> sniff.DocumentType:
    if written.size == 0:
        raise ResourceError(_("Le fichier « %(name)s » est vide.", name=name), "file")
    kind = sniff.sniff(written.path)
    accepted = ", ".join(e.upper() for e in sniff.EXTENSIONS)
    if kind is None:
        raise ResourceError(_("Le contenu de « %(name)s » n'est pas d'un type accepté (%(types)s), quel que soit "
                              "son nom.", name=name, types=accepted), "file")
    if sniff.extension_of(name) not in kind.extensions:
        raise ResourceError(_("Le nom « %(name)s » ne correspond pas à son contenu, qui est de type %(label)s : "
                              "il devrait se terminer par .%(ext)s.", name=name, label=kind.label,
                              ext=kind.extensions[0]), "file")
    return kind


def delete_resource(resource: WorkshopResource) -> None:
    if resource.stored_name:
        storage.remove_after_commit(db.session, resource.stored_name)
    db.session.delete(resource)
    db.session.flush()


def move(resource: WorkshopResource, step: int) -> bool:
    """Swap `resource` with its neighbour before (step -1) or after (+1); False at an end."""
    siblings = list(resource.workshop.resources)
    index = siblings.index(resource)
    other = index + step
    if not 0 <= other < len(siblings):
        return False
    siblings[index], siblings[other] = siblings[other], siblings[index]
    for position, item in enumerate(siblings):
        item.position = position
    db.session.flush()
    return True


def file_path(resource: WorkshopResource) -> Path | None:
    return storage.path_of(resource.stored_name) if resource.stored_name else None


def doom_files_of_deleted_workshops(session: Session, _context, _instances) -> None:
    """A workshop or an edition deleted takes its resources' rows with it (ON DELETE CASCADE,
    unseen by the ORM): its files are removed too, once that deletion commits."""
    workshops = [o.id for o in session.deleted if isinstance(o, Workshop)]
    editions = [o.id for o in session.deleted if isinstance(o, Edition)]
    if not workshops and not editions:
        return
    query = (sa.select(WorkshopResource.stored_name).join(Workshop)
             .where(WorkshopResource.stored_name.is_not(None),
                    sa.or_(Workshop.id.in_(workshops), Workshop.edition_id.in_(editions))))
    with session.no_autoflush:
        for name in session.scalars(query):
            storage.remove_after_commit(session, name)


_installed = False


def install() -> None:
    global _installed
    storage.install()
    if not _installed:
        sa.event.listen(Session, "before_flush", doom_files_of_deleted_workshops)
        _installed = True
