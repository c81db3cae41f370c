"""A workshop's resources: the page that manages them, and the download of a shared file.

Managing is for the people who may decide on the workshop (`can(Permission.DECIDE, workshop)`:
admins, organisers, the workshop's own facilitators); downloading is for everyone. A refusal
answers 422 with the page (the unit of work rolls back, and the file written goes with it).
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, send_file, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from commons.accounts.permissions import Permission, permission_required
from commons.database import get_by_id
from commons.editions.models import Workshop
from commons.editions.routes import workshop_or_404
from commons.forms import EmptyForm, attach_error
from commons.pagecache import kept_with
from commons.resources import bp, services, sniff
from commons.resources.forms import LinkForm, MoveForm, UploadForm
from commons.resources.models import WorkshopResource
from commons.web import abort_with, render_error

# The whole request may hold the file plus the form's few fields and the multipart framing.
UPLOAD_REQUEST_MAX = services.MAX_FILE_BYTES + 64 * 1024
# A downloaded document is never a page of the site: no script, no style, no frame of it runs.
DOWNLOAD_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'"


def allow_large_upload() -> None:
    """The app refuses bodies over MAX_CONTENT_LENGTH (2 MB); the upload route takes 20 MB, from
    a signed-in session only (a signed cookie nobody can forge): the body is read before the
    view checks who is asking, and anonymous visitors are refused anyway."""
    if request.endpoint == "resources.upload" and session.get("_user_id") is not None:
        request.max_content_length = UPLOAD_REQUEST_MAX


@bp.errorhandler(413)
def upload_too_large(_error):
    return render_error(413, services.too_large_message())


def _workshop(edition_slug: str, workshop_slug: str, **_others) -> Workshop:
    return workshop_or_404(edition_slug, workshop_slug)


deciders_only = permission_required(Permission.DECIDE, workshop=_workshop)
BASE = "/editions/<edition_slug>/ateliers/<workshop_slug>/ressources"


def _resource_of(workshop: Workshop, resource_id: int) -> WorkshopResource:
    resource = get_by_id(WorkshopResource, resource_id)
    if resource is None or resource.workshop_id != workshop.id:
        abort_with(404, _("Cette ressource n'existe pas (ou plus) dans cet atelier."))
    return resource


def _page(workshop: Workshop, link_form: LinkForm | None = None, upload_form: UploadForm | None = None,
          status: int = 200):
    return render_template(
        "resources/manage.html", workshop=workshop, edition=workshop.edition, resources=workshop.resources,
        link_form=link_form or LinkForm(formdata=None), upload_form=upload_form or UploadForm(formdata=None),
        accepted=", ".join(e.upper() for e in sniff.EXTENSIONS), accept=",".join("." + e for e in sniff.EXTENSIONS),
        max_mb=services.MAX_FILE_BYTES // 2**20), status


def _back(workshop: Workshop):
    return redirect(url_for("resources.manage", edition_slug=workshop.edition.slug, workshop_slug=workshop.slug))


@bp.route(BASE)
@deciders_only
def manage(edition_slug: str, workshop_slug: str):
    return _page(_workshop(edition_slug, workshop_slug))


@bp.route(BASE + "/lien", methods=["POST"])
@deciders_only
def add_link(edition_slug: str, workshop_slug: str):
    workshop = _workshop(edition_slug, workshop_slug)
    form = LinkForm()
    if form.validate_on_submit():
        try:
            resource = services.add_link(workshop, title=form.title.data, url=form.url.data, author=current_user)
        except services.ResourceError as exc:
            attach_error(form, exc)
        else:
            flash(_("Lien « %(title)s » ajouté.", title=resource.title), "success")
            return _back(workshop)
    return _page(workshop, link_form=form, status=422)


@bp.route(BASE + "/fichier", methods=["POST"])
@deciders_only
def upload(edition_slug: str, workshop_slug: str):
    workshop = _workshop(edition_slug, workshop_slug)
    form = UploadForm()
    if form.validate_on_submit():
        upload = request.files.get("file")
        try:
            resource = services.add_file(workshop, title=form.title.data or "",
                                         file_name=upload.filename if upload else None,
                                         stream=upload.stream if upload else None, author=current_user)
        except services.ResourceError as exc:
            attach_error(form, exc)
        else:
            flash(_("Document « %(title)s » ajouté.", title=resource.title), "success")
            return _back(workshop)
    return _page(workshop, upload_form=form, status=422)


@bp.route(BASE + "/<int:resource_id>/deplacer", methods=["POST"])
@deciders_only
def move(edition_slug: str, workshop_slug: str, resource_id: int):
    workshop = _workshop(edition_slug, workshop_slug)
    resource = _resource_of(workshop, resource_id)
    form = MoveForm()
    step = {"haut": -1, "bas": 1}.get(form.direction.data or "")
    if not form.validate_on_submit() or step is None:
        abort_with(422, _("Indiquez s'il faut monter ou descendre la ressource."))
    if not services.move(resource, step):
        abort_with(422, _("« %(title)s » est déjà à cette extrémité de la liste.", title=resource.title))
    return _back(workshop)


@bp.route(BASE + "/<int:resource_id>/supprimer", methods=["POST"])
@deciders_only
def delete(edition_slug: str, workshop_slug: str, resource_id: int):
    workshop = _workshop(edition_slug, workshop_slug)
    resource = _resource_of(workshop, resource_id)
    if not EmptyForm().validate_on_submit():
        abort_with(400, _("Le formulaire a expiré ou n'est pas valide. Rechargez la page et réessayez."))
    services.delete_resource(resource)
    flash(_("Ressource « %(title)s » supprimée.", title=resource.title), "success")
    return _back(workshop)


@bp.route("/ressources/<int:resource_id>/telecharger")
@kept_with(lambda: None)  # a file is not a page: never kept for anonymous readers
def download(resource_id: int):
    resource = get_by_id(WorkshopResource, resource_id)
    path = services.file_path(resource) if resource is not None else None
    if path is None or not path.is_file():
        abort_with(404, _("Ce document n'existe pas (ou plus)."))
    response = send_file(path, mimetype=resource.media_type, as_attachment=True,
                         download_name=resource.file_name, etag=resource.sha256, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = DOWNLOAD_CSP
    return response
