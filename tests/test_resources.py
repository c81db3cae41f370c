"""Workshop resources: links and uploaded documents, their checks, their download, who manages them."""
from __future__ import annotations

import html
import io
import re
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
import sqlalchemy as sa

from commons.accounts.models import Role
from commons.editions.models import WorkshopFacilitator
from commons.extensions import db
from commons.resources import services
from commons.resources.models import ResourceKind, WorkshopResource

MB = 2**20


# --- tiny valid documents, built here ------------------------------------------------------------

def pdf() -> bytes:
    return (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
            b"trailer<</Root 1 0 R>>\n%%EOF\n")


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + \
        chunk(b"IEND", b"")


def jpeg() -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def odf(media_type: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), media_type)  # first, stored: as ODF requires
        archive.writestr("content.xml", "<office:document-content/>", zipfile.ZIP_DEFLATED)
    return out.getvalue()


def ooxml(folder: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(f"{folder}/document.xml", "<document/>")
    return out.getvalue()


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("notes.txt", "bonjour")
    return out.getvalue()


GOOD = [
    ("Stratégie numérique.pdf", pdf(), "application/pdf"),
    ("schéma.png", png(), "image/png"),
    ("photo.JPG", jpeg(), "image/jpeg"),
    ("photo.jpeg", jpeg(), "image/jpeg"),
    ("compte-rendu.odt", odf("application/vnd.oasis.opendocument.text"), "application/vnd.oasis.opendocument.text"),
    ("chiffres.ods", odf("application/vnd.oasis.opendocument.spreadsheet"),
     "application/vnd.oasis.opendocument.spreadsheet"),
    ("support.odp", odf("application/vnd.oasis.opendocument.presentation"),
     "application/vnd.oasis.opendocument.presentation"),
    ("compte-rendu.docx", ooxml("word"), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("chiffres.xlsx", ooxml("xl"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("support.pptx", ooxml("ppt"), "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
]


# --- helpers -----------------------------------------------------------------------------------

def base(workshop) -> str:
    return f"/editions/{workshop.edition.slug}/ateliers/{workshop.slug}/ressources"


def upload(client, workshop, name: str, content: bytes, title: str = "", **kwargs):
    return client.post(base(workshop) + "/fichier", data={"title": title, "file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data", **kwargs)


def raw_upload(client, workshop, quoted_name: str, content: bytes, fields: dict | None = None, **kwargs):
    """A multipart body written by hand: the file name exactly as put on the wire (quoted), and a
    body in memory (the test client would spool a large one to a file it never closes)."""
    boundary = "----commons-test"
    parts = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'
                    for key, value in (fields or {"title": ""}).items())
    body = (f'{parts}--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{quoted_name}"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return client.post(base(workshop) + "/fichier", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}", **kwargs)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def uploads(app) -> list[str]:
    folder = Path(app.config["UPLOADS_DIR"])
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def rows() -> list[WorkshopResource]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(WorkshopResource).order_by(WorkshopResource.position)))


@pytest.fixture
def stored(app, workshop, facilitator_client):
    """A PDF uploaded to `workshop` by an organiser."""
    assert upload(facilitator_client, workshop, "Stratégie numérique 2023-2027.pdf", pdf(),
                  title="La stratégie numérique").status_code == 302
    return rows()[0]


# --- good uploads --------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "content", "media_type"), GOOD, ids=[g[0] for g in GOOD])
def test_each_accepted_type_is_stored_under_a_random_name(app, workshop, facilitator_client, name, content,
                                                          media_type):
    response = upload(facilitator_client, workshop, name, content)
    assert response.status_code == 302
    [resource] = rows()
    assert (resource.kind, resource.file_name, resource.media_type, resource.size) == (
        ResourceKind.FILE, name, media_type, len(content))
    assert resource.title == name.rsplit(".", 1)[0]  # no title given: the file's name
    assert uploads(app) == [resource.stored_name]
    assert resource.stored_name != name and len(resource.stored_name) == 32
    assert (Path(app.config["UPLOADS_DIR"]) / resource.stored_name).read_bytes() == content
    import hashlib
    assert resource.sha256 == hashlib.sha256(content).hexdigest()


# --- hostile uploads -------------------------------------------------------------------------------

HOSTILE = [
    ("page.pdf", b"<!doctype html><script>alert(1)</script>", "n'est pas d'un type accepté"),
    ("archive.docx", plain_zip(), "n'est pas d'un type accepté"),
    ("faux.odt", odf("text/html"), "n'est pas d'un type accepté"),
    ("rapport.png", pdf(), "ne correspond pas à son contenu"),
    ("rapport", pdf(), "ne correspond pas à son contenu"),
    ("diapos.docx", ooxml("ppt"), "ne correspond pas à son contenu"),
    ("../../etc/passwd", pdf(), "ne doit pas contenir de chemin"),
    ("C:\\x\\y.pdf", pdf(), "ne doit pas contenir de chemin"),  # Werkzeug reads it "C:xy.pdf"
    (".htaccess", pdf(), "ne doit pas contenir de chemin"),
    ("vide.pdf", b"", "est vide"),
    ("nul\x00.pdf", pdf(), "caractères non autorisés"),
]


@pytest.mark.parametrize(("name", "content", "message"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_hostile_upload_is_refused_in_french_and_nothing_is_kept(app, workshop, facilitator_client, stored,
                                                                   name, content, message):
    before = uploads(app)
    response = upload(facilitator_client, workshop, name, content, title="Essai")
    assert response.status_code == 422
    assert message in text(response)
    assert [r.id for r in rows()] == [stored.id]  # the resource already there is untouched
    assert uploads(app) == before


def test_a_windows_path_sent_escaped_is_refused(app, workshop, facilitator_client):
    response = raw_upload(facilitator_client, workshop, "C:\\\\x\\\\y.pdf", pdf())  # on the wire: C:\\x\\y.pdf
    assert response.status_code == 422
    assert "ne doit pas contenir de chemin" in text(response)
    assert rows() == [] and uploads(app) == []


@pytest.mark.parametrize("name", ["C:\\x\\y.pdf", "..\\..\\y.pdf", "a/b.pdf", "/etc/passwd"])
def test_a_path_in_the_name_is_refused_by_the_service_too(app, workshop, facilitator, name):
    with pytest.raises(services.ResourceError, match="ne doit pas contenir de chemin"):
        services.add_file(workshop, title="", file_name=name, stream=io.BytesIO(pdf()), author=facilitator)
    assert uploads(app) == []


def test_a_file_over_20_mb_in_a_small_enough_request_is_refused(app, workshop, facilitator_client):
    response = raw_upload(facilitator_client, workshop, "gros.pdf", pdf() + b"0" * (20 * MB))
    assert response.status_code == 422
    assert "dépasse la taille maximale de 20 Mo" in text(response)
    assert rows() == [] and uploads(app) == []


def test_a_21_mb_body_is_refused_with_a_413_in_french(app, workshop, facilitator_client):
    response = raw_upload(facilitator_client, workshop, "gros.pdf", pdf() + b"0" * (21 * MB))
    assert response.status_code == 413
    assert "dépasse la taille maximale de 20 Mo" in text(response)
    assert rows() == [] and uploads(app) == []


def test_a_200_mb_body_is_refused_before_it_is_read(app, workshop, facilitator_client):
    """The declared length is enough to refuse: the 200 MB are never sent (nor allocated here)."""
    response = upload(facilitator_client, workshop, "énorme.pdf", pdf(),
                      environ_overrides={"CONTENT_LENGTH": str(200 * MB)})
    assert response.status_code == 413
    assert "dépasse la taille maximale de 20 Mo" in text(response)
    assert rows() == [] and uploads(app) == []


def test_with_csrf_on_the_limit_is_raised_before_the_form_is_read(app, workshop, facilitator_client):
    """CSRFProtect parses the body before any view: the 20 MB limit must already be in place, and
    a body too large for it still gets the French message."""
    app.config["WTF_CSRF_ENABLED"] = True  # read on each request by CSRFProtect
    allowed = raw_upload(facilitator_client, workshop, "moyen.pdf", pdf() + b"0" * (3 * MB))
    refused = upload(facilitator_client, workshop, "énorme.pdf", pdf(),
                     environ_overrides={"CONTENT_LENGTH": str(200 * MB)})
    anonymous = raw_upload(app.test_client(), workshop, "moyen.pdf", pdf() + b"0" * (3 * MB))
    assert allowed.status_code == 400  # past the size check, stopped by the missing CSRF token
    assert refused.status_code == 413 and "dépasse la taille maximale de 20 Mo" in text(refused)
    assert anonymous.status_code == 413  # no session: the app's 2 MB
    assert rows() == [] and uploads(app) == []
    token = re.search(r'name="csrf_token" value="([^"]+)"', text(facilitator_client.get(base(workshop)))).group(1)
    response = raw_upload(facilitator_client, workshop, "moyen.pdf", pdf() + b"0" * (3 * MB),
                          fields={"csrf_token": token, "title": ""})
    assert response.status_code == 302
    assert [r.file_name for r in rows()] == ["moyen.pdf"]


def test_the_larger_limit_is_the_upload_routes_only(app, workshop, facilitator_client):
    response = facilitator_client.post(base(workshop) + "/lien", data={"title": "x" * (3 * MB), "url": "https://a.fr"})
    assert response.status_code == 413


def test_a_file_written_but_rolled_back_is_removed(app, workshop, facilitator):
    services.add_file(workshop, title="", file_name="a.pdf", stream=io.BytesIO(pdf()), author=facilitator)
    assert len(uploads(app)) == 1
    db.session.rollback()
    assert uploads(app) == []


# --- links -----------------------------------------------------------------------------------------

def test_a_link_is_added_and_shown_on_the_workshop_page(app, client, workshop, facilitator_client, stored):
    response = facilitator_client.post(base(workshop) + "/lien", data={
        "title": "Stratégie du numérique pour l'éducation", "url": "https://strategie-numerique.example.fr/"})
    assert response.status_code == 302
    assert [r.kind for r in rows()] == [ResourceKind.FILE, ResourceKind.LINK]
    page = text(client.get(f"/editions/{workshop.edition.slug}/ateliers/{workshop.slug}"))
    assert "Ressources partagées" in page
    assert 'href="https://strategie-numerique.example.fr/" rel="noopener noreferrer external"' in page
    assert "(site externe)" in page
    assert "La stratégie numérique" in page and "PDF, " in page and "octets" in page
    assert "Gérer les ressources" not in page  # anonymous readers do not manage
    assert "Gérer les ressources" in text(facilitator_client.get(
        f"/editions/{workshop.edition.slug}/ateliers/{workshop.slug}"))


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://example.org/a", "/fiches/1", "https://",
                                 "data:text/html,<b>x</b>", "https://exa mple.org", "https://a.fr:port/"])
def test_a_link_that_is_not_http_is_refused(app, workshop, facilitator_client, url):
    response = facilitator_client.post(base(workshop) + "/lien", data={"title": "Lien", "url": url})
    assert response.status_code == 422
    assert "commençant par http:// ou https://" in text(response)
    assert rows() == []


def test_a_link_needs_a_title(app, workshop, facilitator_client):
    response = facilitator_client.post(base(workshop) + "/lien", data={"title": " ", "url": "https://a.fr"})
    assert response.status_code == 422
    assert "Le titre est obligatoire." in text(response)


def test_resources_are_reordered(app, workshop, facilitator_client, stored):
    facilitator_client.post(base(workshop) + "/lien", data={"title": "Lien", "url": "https://a.fr"})
    first, second = rows()
    assert facilitator_client.post(f"{base(workshop)}/{second.id}/deplacer", data={"direction": "haut"}).status_code == 302
    assert [r.id for r in rows()] == [second.id, first.id]
    response = facilitator_client.post(f"{base(workshop)}/{second.id}/deplacer", data={"direction": "haut"})
    assert response.status_code == 422 and "déjà à cette extrémité" in text(response)


# --- download --------------------------------------------------------------------------------------

def test_anyone_downloads_a_file_as_an_attachment(app, client, stored):
    with client.get(f"/ressources/{stored.id}/telecharger") as response:
        check_download(response)


def check_download(response) -> None:
    assert response.status_code == 200
    assert response.data == pdf()
    assert response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''Strat%C3%A9gie%20num%C3%A9rique%202023-2027.pdf" in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'; sandbox")


def test_a_download_is_never_kept_for_anonymous_readers(app, client, stored):
    for _ in range(2):
        with client.get(f"/ressources/{stored.id}/telecharger") as response:
            assert response.status_code == 200
    services.delete_resource(db.session.get(WorkshopResource, stored.id))
    db.session.commit()
    assert client.get(f"/ressources/{stored.id}/telecharger").status_code == 404


@pytest.mark.parametrize("path", ["/ressources/999/telecharger", "/ressources/99999999999/telecharger"])
def test_an_unknown_resource_is_a_404(app, client, path):
    assert client.get(path).status_code == 404


def test_a_link_has_nothing_to_download(app, client, workshop, facilitator_client):
    facilitator_client.post(base(workshop) + "/lien", data={"title": "Lien", "url": "https://a.fr"})
    assert client.get(f"/ressources/{rows()[0].id}/telecharger").status_code == 404


# --- deleting ----------------------------------------------------------------------------------------

def test_deleting_a_resource_removes_its_file(app, workshop, facilitator_client, stored):
    assert facilitator_client.post(f"{base(workshop)}/{stored.id}/supprimer").status_code == 302
    assert rows() == [] and uploads(app) == []


def test_a_deletion_rolled_back_keeps_the_file(app, stored):
    services.delete_resource(db.session.get(WorkshopResource, stored.id))
    db.session.rollback()
    assert [r.id for r in rows()] == [stored.id] and uploads(app) == [stored.stored_name]


def test_deleting_the_workshop_removes_its_files(app, workshop, stored):
    from commons.editions.services import delete_workshop

    delete_workshop(workshop)
    db.session.commit()
    assert rows() == [] and uploads(app) == []


def test_deleting_the_edition_removes_its_workshops_files(app, workshop, stored):
    from commons.editions.services import delete_edition

    delete_edition(workshop.edition)
    db.session.commit()
    assert rows() == [] and uploads(app) == []


def test_a_resource_of_another_workshop_is_a_404_here(app, workshop, make_workshop, facilitator_client, stored):
    other = make_workshop(workshop.edition, "Un autre atelier")
    assert facilitator_client.post(f"{base(other)}/{stored.id}/supprimer").status_code == 404
    assert uploads(app) == [stored.stored_name]


# --- who manages -------------------------------------------------------------------------------------

def _assign(user, workshop) -> None:
    db.session.add(WorkshopFacilitator(workshop_id=workshop.id, user_id=user.id))
    db.session.commit()


def test_the_workshops_own_facilitator_manages_its_resources(app, workshop, make_user, signed_in):
    person = make_user(Role.CONTRIBUTOR)
    _assign(person, workshop)
    client = signed_in(person)
    assert client.get(base(workshop)).status_code == 200
    assert upload(client, workshop, "a.pdf", pdf()).status_code == 302
    assert rows()[0].created_by_id == person.id


def test_another_workshops_facilitator_and_a_contributor_are_refused(app, workshop, make_workshop, make_user,
                                                                      signed_in, stored):
    other = make_workshop(workshop.edition, "Un autre atelier")
    person = make_user(Role.CONTRIBUTOR)
    _assign(person, other)
    for client in (signed_in(person), signed_in(make_user(Role.CONTRIBUTOR))):
        response = client.get(base(workshop))
        assert response.status_code == 403
        assert "réservée aux personnes qui animent l'atelier" in text(response)
        assert upload(client, workshop, "a.pdf", pdf()).status_code == 403
        assert client.post(f"{base(workshop)}/{stored.id}/supprimer").status_code == 403
    assert [r.id for r in rows()] == [stored.id] and uploads(app) == [stored.stored_name]


def test_anonymous_visitors_are_sent_to_sign_in(app, client, workshop):
    for response in (client.get(base(workshop)), upload(client, workshop, "a.pdf", pdf())):
        assert response.status_code == 302 and "/connexion" in response.headers["Location"]
    assert rows() == [] and uploads(app) == []


# --- demo ----------------------------------------------------------------------------------------------

def test_the_2023_demo_lists_the_strategy_the_report_names_once(app, demo):
    from commons.demo.loader import load_demo

    load_demo()
    db.session.commit()
    [link] = rows()
    assert link.workshop.slug == "passerelles-mediation-numerique-ecole"
    assert link.url.startswith("https://") and "2023-2027" in link.title


# --- upkeep ----------------------------------------------------------------------------------------

def test_the_sweep_removes_files_no_row_names(app, runner, stored):
    import os
    import time

    folder = Path(app.config["UPLOADS_DIR"])
    (folder / "0123456789abcdef0123456789abcdef").write_bytes(b"orphan")
    (folder / ".tmp-fresh").write_bytes(b"in flight")
    old = folder / ".tmp-old"
    old.write_bytes(b"abandoned")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    result = runner.invoke(args=["resources", "sweep"])
    assert "2 fichier(s) orphelin(s) supprimé(s)." in result.output
    assert uploads(app) == sorted([".tmp-fresh", stored.stored_name])


def test_a_persons_export_lists_the_resources_they_added(app, stored, facilitator):
    from commons.accounts.mydata import export
    from commons.models import utcnow

    [item] = export(facilitator, utcnow())["workshop_resources"]
    assert (item["title"], item["kind"], item["file_name"]) == (
        "La stratégie numérique", "file", "Stratégie numérique 2023-2027.pdf")


def test_sizes_are_written_in_french_units(app):
    from commons.resources.panels import file_size

    with app.test_request_context():
        assert [file_size(n) for n in (340, 12 * 1024, int(1.4 * MB), 20 * MB)] == [
            "340 octets", "12 ko", "1,4 Mo", "20 Mo"]
