"""Entry pages, wiki-style: show, create, edit (never losing an update), history, diff, revert.

Browsing by kind and by tag lives in `browse.py`.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import defer, selectinload
from sqlalchemy.orm.exc import StaleDataError

from commons.editions.models import Edition, Workshop
from commons.entries import bp
from commons.entries import browse  # noqa: F401  (registers the browsing views)
from commons.entries.diff import Side, diff_entries, side_of_entry, side_of_revision
from commons.entries.forms import CreateEntryForm, EditEntryForm, EntryForm, RevertForm, malformed_fields, place_value
from commons.entries.kinds import EntryKind
from commons.entries.models import Entry, Revision
from commons.entries.services import (
    EditConflict, EntryError, create_entry, get_revision, parse_tags, revert_entry, revise_entry,
)
from commons.database import get_by_id, is_storable_id, parse_int
from commons.extensions import db
from commons.web import abort_with


# --- lookups ----------------------------------------------------------------------------------

def entry_or_404(entry_id: int) -> Entry:
    entry = get_by_id(Entry, entry_id)
    if entry is None:
        abort_with(404, _("Cette fiche n'existe pas ou a été supprimée."))
    return entry


def _revision_or_404(entry: Entry, number: int) -> Revision:
    revision = get_revision(entry, number) if is_storable_id(number) else None
    if revision is None:
        abort_with(404, _("La version %(number)s de cette fiche n'existe pas.", number=number))
    return revision


def _optional_id(raw: str | None) -> int | None:
    return parse_int((raw or "").strip())


def _editions() -> list[Edition]:
    return list(db.session.scalars(
        sa.select(Edition).order_by(Edition.year.desc(), Edition.id.desc()).options(selectinload(Edition.workshops))
    ))


def _user():
    return current_user._get_current_object()


def _malformed_fields() -> set[str]:
    if request.method != "POST":
        return set()
    bad = malformed_fields(request)
    if bad is None:
        abort_with(400, _("Le formulaire envoyé n'est pas encodé en UTF-8 valide : rien n'a été enregistré."))
    return bad


def _attach(form: EntryForm, exc: EntryError) -> None:
    # The parent is a hidden field: its errors are about the chosen edition.
    name = "workshop" if exc.field == "parent" else exc.field
    field = form[name] if name and name in form else None
    (field.errors if field is not None else form.form_errors).append(str(exc))


# --- reading ----------------------------------------------------------------------------------

@bp.route("/fiches/<int:entry_id>")
def show(entry_id: int):
    entry = entry_or_404(entry_id)
    return render_template("entries/show.html", entry=entry, last=get_revision(entry, entry.revision_number))


@bp.route("/fiches/<int:entry_id>/historique")
def history(entry_id: int):
    entry = entry_or_404(entry_id)
    revisions = db.session.scalars(
        sa.select(Revision).where(Revision.entry_id == entry.id).order_by(Revision.number.desc())
        .options(defer(Revision.body), selectinload(Revision.author))
    ).all()
    return render_template("entries/history.html", entry=entry, revisions=revisions,
                           revert_form=RevertForm(base_revision=str(entry.revision_number)))


@bp.route("/fiches/<int:entry_id>/versions/<int:number>")
def revision(entry_id: int, number: int):
    entry = entry_or_404(entry_id)
    rev = _revision_or_404(entry, number)
    workshop = db.session.get(Workshop, rev.workshop_id) if rev.workshop_id else None
    return render_template("entries/revision.html", entry=entry, revision=rev, workshop=workshop,
                           revert_form=RevertForm(base_revision=str(entry.revision_number)))


@bp.route("/fiches/<int:entry_id>/diff")
def diff(entry_id: int):
    entry = entry_or_404(entry_id)
    numbers = []
    for name, default in (("de", max(entry.revision_number - 1, 1)), ("a", entry.revision_number)):
        raw = request.args.get(name, "").strip()
        number = parse_int(raw, minimum=0)
        if not raw:
            numbers.append(default)
        elif number is not None:
            numbers.append(number)
        else:
            abort_with(400, _("Les numéros de version à comparer doivent être des nombres entiers positifs."))
    old, new = (_revision_or_404(entry, n) for n in numbers)
    changes = diff_entries(side_of_revision(old), side_of_revision(new))
    return render_template("entries/diff.html", entry=entry, old=old, new=new, changes=changes)


# --- writing ----------------------------------------------------------------------------------

@bp.route("/fiches/nouvelle", methods=["GET", "POST"])
@login_required
def create():
    malformed = _malformed_fields()
    raw_parent = request.form.get("parent") if request.method == "POST" else request.args.get("parent")
    parent_id = _optional_id(raw_parent)
    parent = db.session.get(Entry, parent_id) if parent_id else None
    if raw_parent and parent is None and request.method != "POST":
        abort_with(404, _("La fiche parente demandée n'existe pas."))

    form = CreateEntryForm(editions=[parent.edition] if parent else _editions(), malformed=malformed)
    if not form.is_submitted():
        _preselect(form, parent)
        return render_template("entries/form.html", form=form, parent=parent, entry=None)

    ok = form.validate()
    if raw_parent and parent is None:
        form.form_errors.append(_("La fiche parente indiquée n'existe pas (ou plus) : "
                                  "retirez-la ou recommencez depuis la fiche parente."))
        ok = False
    if ok:
        edition, workshop = form.resolve_place()
        try:
            entry = create_entry(
                edition=edition, kind=form.entry_kind, title=form.title.data, body=form.body.data or "",
                tags=form.tags.data or "", workshop=workshop, author=_user(), parent=parent,
                summary=form.summary.data or "",
            )
            db.session.commit()
        except EntryError as exc:
            db.session.rollback()
            _attach(form, exc)
        else:
            flash(_("La fiche « %(title)s » a été créée.", title=entry.title), "success")
            return redirect(url_for("entries.show", entry_id=entry.id))
    return render_template("entries/form.html", form=form, parent=parent, entry=None), 422


def _preselect(form: CreateEntryForm, parent: Entry | None) -> None:
    """Fill the new-entry form from ?kind=, ?workshop=, ?edition= and the parent entry."""
    kind = EntryKind.from_value(request.args.get("kind")) or (parent.kind if parent else None)
    if kind is not None:
        form.kind.data = kind.value
    workshop_id = _optional_id(request.args.get("workshop"))
    workshop = db.session.get(Workshop, workshop_id) if workshop_id else None
    edition_id = _optional_id(request.args.get("edition"))
    if parent is not None:
        form.parent.data = str(parent.id)
        if workshop is None or workshop.edition_id != parent.edition_id:
            workshop = parent.workshop
        form.workshop.data = place_value(parent.edition_id, workshop.id if workshop else None)
    elif workshop is not None:
        form.workshop.data = place_value(workshop.edition_id, workshop.id)
    elif edition_id and db.session.get(Edition, edition_id) is not None:
        form.workshop.data = place_value(edition_id, None)


@bp.route("/fiches/<int:entry_id>/modifier", methods=["GET", "POST"])
@login_required
def edit(entry_id: int):
    entry = entry_or_404(entry_id)
    form = EditEntryForm(editions=[entry.edition], malformed=_malformed_fields())
    if not form.is_submitted():
        form.kind.data = entry.kind.value
        form.title.data = entry.title
        form.body.data = entry.body
        form.tags.data = ", ".join(entry.tag_names)
        form.workshop.data = place_value(entry.edition_id, entry.workshop_id)
        form.base_revision.data = str(entry.revision_number)
        return render_template("entries/form.html", form=form, entry=entry, parent=None)

    ok = form.validate()
    base = form.base_number()
    if base is not None and base > entry.revision_number:
        base = None
        form.base_revision.errors.append(_("Le numéro de la version de départ est invalide."))
        ok = False
    if base is None:
        # Nobody knows what the tampered form started from: restart from the current
        # version, so that the user reviews their text and saves on a known base.
        form.base_revision.data = str(entry.revision_number)
        form.base_revision.errors.append(_("Le formulaire repart de la version actuelle (%(number)d) : "
                                           "vérifiez votre texte puis enregistrez.", number=entry.revision_number))
    place = form.resolve_place()
    if place is not None and place[0].id != entry.edition_id:
        form.workshop.errors.append(_("Une fiche ne change pas d'édition : choisissez un atelier de « %(edition)s ».",
                                      edition=entry.edition.name))
        ok = False
    if not ok:
        return render_template("entries/form.html", form=form, entry=entry, parent=None), 422

    workshop = place[1]
    try:
        new_revision = revise_entry(
            entry, base_revision=base, author=_user(), kind=form.entry_kind, title=form.title.data,
            body=form.body.data or "", tags=form.tags.data or "", workshop=workshop, summary=form.summary.data or "",
        )
        if new_revision is None:
            db.session.rollback()  # drop tags made for a save that changes nothing
        else:
            db.session.commit()
    except (EditConflict, StaleDataError):
        # StaleDataError: another save committed between our read and our UPDATE.
        db.session.rollback()
        return _conflict(entry, form, base)
    except EntryError as exc:
        db.session.rollback()
        _attach(form, exc)
        return render_template("entries/form.html", form=form, entry=entry, parent=None), 422
    if new_revision is None:
        flash(_("Aucune modification : la fiche est identique, aucune version n'a été créée."), "warning")
    else:
        flash(_("Modifications enregistrées (version %(number)d).", number=new_revision.number), "success")
    return redirect(url_for("entries.show", entry_id=entry.id))


def _conflict(entry: Entry, form: EditEntryForm, base: int):
    """Show both texts and their difference; the form now starts from the current version."""
    db.session.refresh(entry)
    place = form.resolve_place()
    try:
        my_tags = tuple(parse_tags(form.tags.data or ""))
    except EntryError:
        my_tags = ()
    mine = Side(EntryKind.from_value(form.kind.data), form.title.data or "", form.body.data or "", my_tags,
                place[1].title if place and place[1] else "")
    current = side_of_entry(entry)
    base_revision = get_revision(entry, base)
    form.base_revision.data = str(entry.revision_number)
    return render_template(
        "entries/conflict.html", entry=entry, form=form, mine=mine, base=base,
        last=get_revision(entry, entry.revision_number),
        theirs=diff_entries(side_of_revision(base_revision), current) if base_revision else None,
        changes=diff_entries(current, mine),
    ), 409


@bp.route("/fiches/<int:entry_id>/retablir/<int:number>", methods=["POST"])
@login_required
def revert(entry_id: int, number: int):
    entry = entry_or_404(entry_id)
    _revision_or_404(entry, number)
    form = RevertForm()
    base = _optional_id(form.base_revision.data)
    if base is None or base > entry.revision_number:
        abort_with(400, _("Le numéro de la version de départ est invalide : rechargez l'historique et réessayez."))
    try:
        new_revision = revert_entry(entry, number=number, base_revision=base, author=_user())
        if new_revision is not None:
            db.session.commit()
    except (EditConflict, StaleDataError):
        db.session.rollback()
        flash(_("La fiche a été modifiée entre-temps : rien n'a été rétabli. "
                "Vérifiez l'historique ci-dessous avant de recommencer."), "error")
        return redirect(url_for("entries.history", entry_id=entry.id))
    if new_revision is None:
        flash(_("Aucune modification : la fiche est déjà identique à la version %(number)d.", number=number), "warning")
    else:
        flash(_("Version %(number)d rétablie (nouvelle version %(new)d).", number=number, new=new_revision.number),
              "success")
    return redirect(url_for("entries.show", entry_id=entry.id))
