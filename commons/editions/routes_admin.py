"""Administration of editions, their programme and its facilitators (organisers and admins).

Views parse the form and call a service; the request's unit of work commits (see
`commons.database.end_request`), so a refusal answers 422 with the form, never a redirect.
"""
from __future__ import annotations

from datetime import datetime

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from commons.accounts import clock
from commons.accounts.permissions import Permission, permission_required
from commons.database import get_by_id
from commons.editions import bp, facilitators, queries
from commons.editions.forms import CopyProgrammeForm, EditionForm, FacilitatorForm, WorkshopForm
from commons.editions.models import Edition, Workshop, WorkshopFormat
from commons.editions.routes import edition_or_404, workshop_or_404
from commons.editions.services import (
    EditionData,
    EditionError,
    WorkshopData,
    copy_programme,
    count_dependants,
    create_edition,
    delete_edition,
    delete_workshop,
    edition_dependants,
    parse_questions,
    save_workshop,
    update_edition,
)
from commons.forms import EmptyForm, attach_error, opts

# Organisers (the facilitator role) and admins.
organisers_only = permission_required(Permission.MANAGE_EDITIONS)


def _edition_data(form: EditionForm) -> EditionData:
    return EditionData(
        name=form.name.data or "", slug=form.slug.data or "", year=form.year.number, place=form.place.data or "",
        venue=form.venue.data or "", starts_on=form.starts_on.data, ends_on=form.ends_on.data,
        description=form.description.data or "", is_illustrative=form.is_illustrative.data,
    )


def _status(form) -> int:
    return 422 if form.errors or form.form_errors else 200


@bp.route("/editions/nouvelle", methods=["GET", "POST"])
@organisers_only
def new_edition():
    form = EditionForm()
    editions = queries.editions_in_order()
    form.copy_from.choices = opts([(0, _("— programme vide —"))] + [(e.id, e.name) for e in reversed(editions)])
    if form.validate_on_submit():
        try:
            edition = create_edition(_edition_data(form))
            model = get_by_id(Edition, form.copy_from.data) if form.copy_from.data else None
            copied = copy_programme(model, edition)[0] if model else 0
        except EditionError as exc:
            attach_error(form, exc, {"source": "copy_from"})
        else:
            flash(_("Édition « %(name)s » créée (%(n)d séance(s) reprise(s) au programme).",
                    name=edition.name, n=copied), "success")
            return redirect(url_for("editions.programme", slug=edition.slug))
    elif not form.is_submitted() and editions:
        form.copy_from.data = editions[-1].id
        form.year.process_data(editions[-1].year + 1)
    return render_template("editions/edition_form.html", form=form, edition=None), _status(form)


def _edit_page(edition: Edition, form: EditionForm, status: int = 200):
    return render_template("editions/edition_form.html", form=form, edition=edition,
                           entries=count_dependants(edition_dependants, edition),
                           delete_form=EmptyForm(formdata=None)), status


@bp.route("/editions/<slug>/modifier", methods=["GET", "POST"])
@organisers_only
def edit_edition(slug):
    edition = edition_or_404(slug)
    form = EditionForm(obj=edition)
    form.copy_from.choices = opts([(0, "—")])
    if form.validate_on_submit():
        try:
            update_edition(edition, _edition_data(form))
        except EditionError as exc:
            attach_error(form, exc)
        else:
            flash(_("Édition « %(name)s » enregistrée.", name=edition.name), "success")
            return redirect(url_for("editions.programme", slug=edition.slug))
    return _edit_page(edition, form, _status(form))


@bp.route("/editions/<slug>/supprimer", methods=["POST"])
@organisers_only
def delete_edition_view(slug):
    edition = edition_or_404(slug)
    name = edition.name
    try:
        delete_edition(edition)
    except EditionError as exc:
        form = EditionForm(obj=edition, formdata=None)
        form.copy_from.choices = opts([(0, "—")])
        form.form_errors.append(str(exc))
        return _edit_page(edition, form, 422)
    flash(_("Édition « %(name)s » supprimée.", name=name), "success")
    return redirect(url_for("editions.editions"))


@bp.route("/editions/<slug>/programme")
@organisers_only
def programme(slug):
    return _programme_page(edition_or_404(slug))


def _programme_page(edition: Edition, copy_form: CopyProgrammeForm | None = None, status: int = 200):
    copy_form = copy_form or CopyProgrammeForm(formdata=None)
    copy_form.source.choices = opts([(e.id, e.name) for e in queries.newest_first() if e.id != edition.id])
    previous = queries.previous_edition(edition)
    if copy_form.source.data is None:
        copy_form.source.data = previous.id if previous else None
    return render_template("editions/programme.html", edition=edition, copy_form=copy_form,
                           previous=previous), status


@bp.route("/editions/<slug>/programme/copier", methods=["POST"])
@organisers_only
def copy_programme_view(slug):
    edition = edition_or_404(slug)
    form = CopyProgrammeForm()
    form.source.choices = opts([(e.id, e.name) for e in queries.editions_in_order()])
    if not form.validate_on_submit():
        return _programme_page(edition, form, 422)
    try:
        copied, skipped = copy_programme(get_by_id(Edition, form.source.data), edition)
    except EditionError as exc:
        attach_error(form, exc)
        return _programme_page(edition, form, 422)
    flash(_("%(copied)d séance(s) copiée(s), dates décalées ; %(skipped)d déjà présente(s).",
            copied=copied, skipped=skipped), "success")
    return redirect(url_for("editions.programme", slug=slug))


def _workshop_data(form: WorkshopForm) -> WorkshopData:
    day = form.day.data
    return WorkshopData(
        title=form.title.data or "", slug=form.slug.data or "", format=WorkshopFormat(form.format.data),
        starts_at=datetime.combine(day, form.starts.data) if day and form.starts.data else None,
        ends_at=datetime.combine(day, form.ends.data) if day and form.ends.data else None,
        room=form.room.data or "", axis=form.axis.data or "", description=form.description.data or "",
        questions=parse_questions(form.questions.data or ""), structure_ids=tuple(form.structures.data or ()),
    )


def _workshop_form(workshop: Workshop | None, *, is_bound: bool = True) -> WorkshopForm:
    values = None if workshop is None else {
        "title": workshop.title, "slug": workshop.slug, "format": workshop.format.value,
        "day": workshop.starts_at.date() if workshop.starts_at else None,
        "starts": workshop.starts_at.time() if workshop.starts_at else None,
        "ends": workshop.ends_at.time() if workshop.ends_at else None,
        "room": workshop.room, "axis": workshop.axis, "description": workshop.description,
        "questions": "\n".join(q.text for q in workshop.questions),
        "structures": [s.id for s in workshop.structures],
    }
    # Unbound when another form of the page was posted: its fields are not this one's.
    form = WorkshopForm(data=values) if is_bound else WorkshopForm(formdata=None, data=values)
    form.structures.choices = opts([(s.id, s.name) for s in queries.structures_by_name()])
    return form


def _render_workshop(edition: Edition, workshop: Workshop | None, form: WorkshopForm, status: int = 200, *,
                     facilitator_form: FacilitatorForm | None = None, facilitation_error: str | None = None):
    """The séance's form; once it exists, its facilitators too, with the form that adds one."""
    context = {}
    if workshop is not None:
        facilitator_form = facilitator_form or FacilitatorForm(formdata=None)
        facilitator_form.user.choices = opts([(0, _("— choisir une personne —")), *facilitators.candidates(workshop)])
        context = {"assignments": facilitators.assignments(workshop), "facilitator_form": facilitator_form,
                   "facilitation_error": facilitation_error}
    return render_template("editions/workshop_form.html", form=form, edition=edition, workshop=workshop,
                           **context), status


def _workshop_page(edition: Edition, workshop: Workshop | None):
    form = _workshop_form(workshop)
    if form.validate_on_submit():
        try:
            saved = save_workshop(edition, _workshop_data(form), workshop)
        except EditionError as exc:
            attach_error(form, exc)
        else:
            flash(_("Séance « %(title)s » enregistrée.", title=saved.title), "success")
            return redirect(url_for("editions.programme", slug=edition.slug))
    return _render_workshop(edition, workshop, form, _status(form))


@bp.route("/editions/<slug>/programme/nouvelle-seance", methods=["GET", "POST"])
@organisers_only
def new_workshop(slug):
    return _workshop_page(edition_or_404(slug), None)


@bp.route("/editions/<slug>/programme/<workshop_slug>/modifier", methods=["GET", "POST"])
@organisers_only
def edit_workshop(slug, workshop_slug):
    workshop = workshop_or_404(slug, workshop_slug)
    return _workshop_page(workshop.edition, workshop)


@bp.route("/editions/<slug>/programme/<workshop_slug>/supprimer", methods=["POST"])
@organisers_only
def delete_workshop_view(slug, workshop_slug):
    workshop = workshop_or_404(slug, workshop_slug)
    title = workshop.title
    detached = delete_workshop(workshop)
    flash(_("Séance « %(title)s » supprimée ; %(n)d fiche(s) restent dans l'édition, sans atelier.",
            title=title, n=detached), "success")
    return redirect(url_for("editions.programme", slug=slug))


# --- facilitators -------------------------------------------------------------------------------

def _facilitation_refused(workshop: Workshop, facilitator_form: FacilitatorForm | None = None,
                          error: str | None = None):
    return _render_workshop(workshop.edition, workshop, _workshop_form(workshop, is_bound=False), 422,
                            facilitator_form=facilitator_form, facilitation_error=error)


def _back_to_facilitators(workshop: Workshop):
    return redirect(url_for("editions.edit_workshop", slug=workshop.edition.slug, workshop_slug=workshop.slug)
                    + "#animation")


@bp.route("/editions/<slug>/programme/<workshop_slug>/animation", methods=["POST"])
@organisers_only
def assign_facilitator_view(slug, workshop_slug):
    workshop = workshop_or_404(slug, workshop_slug)
    form = FacilitatorForm()
    if not form.validate_on_submit():
        return _facilitation_refused(workshop, form)
    try:
        person = facilitators.assign_facilitator(workshop, form.user.data, actor=current_user, now=clock.now())
    except EditionError as exc:
        attach_error(form, exc)
        return _facilitation_refused(workshop, form)
    flash(_("%(name)s anime désormais « %(title)s ».", name=person.name, title=workshop.title), "success")
    return _back_to_facilitators(workshop)


@bp.route("/editions/<slug>/programme/<workshop_slug>/animation/<int:user_id>/retirer", methods=["POST"])
@organisers_only
def remove_facilitator_view(slug, workshop_slug, user_id):
    workshop = workshop_or_404(slug, workshop_slug)
    try:
        person = facilitators.remove_facilitator(workshop, user_id, actor=current_user, now=clock.now())
    except EditionError as exc:
        return _facilitation_refused(workshop, error=str(exc))
    flash(_("%(name)s n'anime plus « %(title)s ».", name=person.name, title=workshop.title), "success")
    return _back_to_facilitators(workshop)
