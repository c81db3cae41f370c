"""Administration of editions and their programme (admins only)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from commons.accounts.models import Role
from commons.accounts.permissions import role_required
from commons.editions.models import Edition, Structure, Workshop, WorkshopFormat
from commons.extensions import db
from commons.lineage import bp
from commons.lineage.forms import CopyProgrammeForm, EditionForm, EmptyForm, WorkshopForm, opts
from commons.lineage.programme import (
    EditionData, WorkshopData, copy_programme, create_edition, delete_edition, delete_workshop, entry_count,
    parse_questions, save_workshop, update_edition,
)
from commons.lineage.routes import edition_or_404, workshop_or_404
from commons.lineage.services import LineageError, editions_in_order, previous_edition


def _edition_data(form: EditionForm) -> EditionData:
    return EditionData(
        name=form.name.data or "", slug=form.slug.data or "", year=form.year.data, place=form.place.data or "",
        venue=form.venue.data or "", starts_on=form.starts_on.data, ends_on=form.ends_on.data,
        description=form.description.data or "", is_illustrative=form.is_illustrative.data,
    )


def _fail(form, exc: LineageError) -> None:
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = list(field.errors) + [str(exc)]
    else:
        form.form_errors.append(str(exc))


@bp.route("/editions/nouvelle", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def new_edition():
    form = EditionForm()
    editions = editions_in_order()
    form.copy_from.choices = opts([(0, _("— programme vide —"))] + [(e.id, e.name) for e in reversed(editions)])
    if form.validate_on_submit():
        try:
            edition = create_edition(_edition_data(form))
            model = db.session.get(Edition, form.copy_from.data) if form.copy_from.data else None
            copied = copy_programme(model, edition)[0] if model else 0
            db.session.commit()
        except LineageError as exc:
            db.session.rollback()
            _fail(form, exc if exc.field != "source" else LineageError(str(exc), "copy_from"))
        else:
            flash(_("Édition « %(name)s » créée (%(n)d séance(s) reprise(s) au programme).",
                    name=edition.name, n=copied), "success")
            return redirect(url_for("lineage.programme", slug=edition.slug))
    elif not form.is_submitted() and editions:
        form.copy_from.data = editions[-1].id
        form.year.data = editions[-1].year + 1
    return render_template("lineage/edition_form.html", form=form, edition=None), 422 if form.errors else 200


@bp.route("/editions/<slug>/modifier", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit_edition(slug):
    edition = edition_or_404(slug)
    form = EditionForm(obj=edition)
    form.copy_from.choices = opts([(0, "—")])
    if form.validate_on_submit():
        try:
            update_edition(edition, _edition_data(form))
            db.session.commit()
        except LineageError as exc:
            db.session.rollback()
            _fail(form, exc)
        else:
            flash(_("Édition « %(name)s » enregistrée.", name=edition.name), "success")
            return redirect(url_for("lineage.programme", slug=edition.slug))
    return render_template("lineage/edition_form.html", form=form, edition=edition,
                           entries=entry_count(edition), delete_form=EmptyForm(formdata=None)), \
        422 if form.errors else 200


@bp.route("/editions/<slug>/supprimer", methods=["POST"])
@role_required(Role.ADMIN)
def delete_edition_view(slug):
    edition = edition_or_404(slug)
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("lineage.edit_edition", slug=slug))
    name = edition.name
    try:
        delete_edition(edition)
        db.session.commit()
    except LineageError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("lineage.edit_edition", slug=slug))
    flash(_("Édition « %(name)s » supprimée.", name=name), "success")
    return redirect(url_for("editions.editions"))


@bp.route("/editions/<slug>/programme")
@role_required(Role.ADMIN)
def programme(slug):
    edition = edition_or_404(slug)
    return _programme_page(edition)


def _programme_page(edition: Edition, copy_form: CopyProgrammeForm | None = None, status: int = 200):
    copy_form = copy_form or CopyProgrammeForm(formdata=None)
    others = [e for e in reversed(editions_in_order()) if e.id != edition.id]
    copy_form.source.choices = opts([(e.id, e.name) for e in others])
    if copy_form.source.data is None:
        previous = previous_edition(edition)
        copy_form.source.data = previous.id if previous else None
    return render_template("lineage/programme.html", edition=edition, copy_form=copy_form,
                           delete_form=EmptyForm(formdata=None), previous=previous_edition(edition)), status


@bp.route("/editions/<slug>/programme/copier", methods=["POST"])
@role_required(Role.ADMIN)
def copy_programme_view(slug):
    edition = edition_or_404(slug)
    form = CopyProgrammeForm()
    form.source.choices = opts([(e.id, e.name) for e in editions_in_order()])
    if not form.validate_on_submit():
        return _programme_page(edition, form, 422)
    try:
        copied, skipped = copy_programme(db.session.get(Edition, form.source.data), edition)
        db.session.commit()
    except LineageError as exc:
        db.session.rollback()
        form.source.errors = [str(exc)]
        return _programme_page(edition, form, 422)
    flash(_("%(copied)d séance(s) copiée(s), dates décalées ; %(skipped)d déjà présente(s).",
            copied=copied, skipped=skipped), "success")
    return redirect(url_for("lineage.programme", slug=slug))


def _workshop_data(form: WorkshopForm) -> WorkshopData:
    day = form.day.data
    return WorkshopData(
        title=form.title.data or "", slug=form.slug.data or "", format=WorkshopFormat(form.format.data),
        starts_at=datetime.combine(day, form.starts.data) if day and form.starts.data else None,
        ends_at=datetime.combine(day, form.ends.data) if day and form.ends.data else None,
        room=form.room.data or "", axis=form.axis.data or "", description=form.description.data or "",
        questions=parse_questions(form.questions.data or ""), structure_ids=tuple(form.structures.data or ()),
    )


def _workshop_page(edition: Edition, workshop: Workshop | None):
    form = WorkshopForm(data=None if workshop is None else {
        "title": workshop.title, "slug": workshop.slug, "format": workshop.format.value,
        "day": workshop.starts_at.date() if workshop.starts_at else None,
        "starts": workshop.starts_at.time() if workshop.starts_at else None,
        "ends": workshop.ends_at.time() if workshop.ends_at else None,
        "room": workshop.room, "axis": workshop.axis, "description": workshop.description,
        "questions": "\n".join(q.text for q in workshop.questions),
        "structures": [s.id for s in workshop.structures],
    })
    structures = db.session.scalars(sa.select(Structure).order_by(Structure.name))
    form.structures.choices = opts([(s.id, s.name) for s in structures])
    if form.validate_on_submit():
        try:
            saved = save_workshop(edition, _workshop_data(form), workshop)
            db.session.commit()
        except LineageError as exc:
            db.session.rollback()
            _fail(form, exc)
        else:
            flash(_("Séance « %(title)s » enregistrée.", title=saved.title), "success")
            return redirect(url_for("lineage.programme", slug=edition.slug))
    return render_template("lineage/workshop_form.html", form=form, edition=edition, workshop=workshop), \
        422 if form.errors or form.form_errors else 200


@bp.route("/editions/<slug>/programme/nouvelle-seance", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def new_workshop(slug):
    return _workshop_page(edition_or_404(slug), None)


@bp.route("/editions/<slug>/programme/<workshop_slug>/modifier", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit_workshop(slug, workshop_slug):
    workshop = workshop_or_404(slug, workshop_slug)
    return _workshop_page(workshop.edition, workshop)


@bp.route("/editions/<slug>/programme/<workshop_slug>/supprimer", methods=["POST"])
@role_required(Role.ADMIN)
def delete_workshop_view(slug, workshop_slug):
    workshop = workshop_or_404(slug, workshop_slug)
    if EmptyForm().validate_on_submit():
        title = workshop.title
        detached = delete_workshop(workshop)
        db.session.commit()
        flash(_("Séance « %(title)s » supprimée ; %(n)d fiche(s) restent dans l'édition, sans atelier.",
                title=title, n=detached), "success")
    return redirect(url_for("lineage.programme", slug=slug))
