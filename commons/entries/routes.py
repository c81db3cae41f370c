"""Entry pages, wiki-style: show, create, edit (never losing an update), history, diff, revert.

Browsing by kind and by tag lives in `browse.py`. Views parse, call a service and render or
redirect; the request's unit of work commits (`commons.database.end_request`).
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from commons.accounts.permissions import Permission, permission_required
from commons.database import get_by_id, is_storable_id, parse_int
from commons.editions.models import Edition, Workshop
from commons.editions.queries import newest_first
from commons.entries import bp, queries
from commons.entries.diff import Side, diff_entries, side_of_entry, side_of_revision
from commons.entries.forms import CreateEntryForm, EditEntryForm, RevertForm, malformed_fields, place_value
from commons.entries.history import events_of
from commons.entries.models import Entry, Revision
from commons.entries.services import (
    EditConflict,
    EntryError,
    create_entry,
    parse_tags,
    revert_entry,
    revise_entry,
)
from commons.forms import attach_error
from commons.kinds import EntryKind
from commons.paging import page_or_404
from commons.panels import Slot, sections
from commons.web import abort_with

writers_only = permission_required(Permission.WRITE_ENTRIES)


# --- lookups ----------------------------------------------------------------------------------

def entry_or_404(entry_id: int) -> Entry:
    entry = queries.entry_for_page(entry_id)
    if entry is None:
        abort_with(404, _("Cette fiche n'existe pas ou a été supprimée."))
    return entry


def _revision_or_404(entry: Entry, number: int) -> Revision:
    revision = queries.get_revision(entry, number) if is_storable_id(number) else None
    if revision is None:
        abort_with(404, _("La version %(number)s de cette fiche n'existe pas.", number=number))
    return revision


def _workshop_or_none(workshop_id: int | None) -> Workshop | None:
    return get_by_id(Workshop, workshop_id) if workshop_id else None


def _optional_id(raw: str | None) -> int | None:
    return parse_int((raw or "").strip())


def _user():
    return current_user._get_current_object()


def _malformed_fields() -> set[str]:
    if request.method != "POST":
        return set()
    bad = malformed_fields(request)
    if bad is None:
        abort_with(400, _("Le formulaire envoyé n'est pas encodé en UTF-8 valide : rien n'a été enregistré."))
    return bad


# --- reading ----------------------------------------------------------------------------------

@bp.route("/fiches/<int:entry_id>")
def show(entry_id: int):
    entry = entry_or_404(entry_id)
    return render_template("entries/show.html", entry=entry, last=queries.get_revision(entry, entry.revision_number),
                           sections=sections(Slot.ENTRY, entry=entry))


def _history_page(entry: Entry, error: str | None = None, status: int = 200):
    page = page_or_404(entry.revision_number, _l("Cette page de l'historique n'existe pas (pages 1 à %(last)d)."))
    return render_template("entries/history.html", entry=entry, revisions=queries.revisions_of(entry, page),
                           page=page, events=events_of(entry)[::-1], error=error,
                           revert_form=RevertForm(base_revision=str(entry.revision_number))), status


@bp.route("/fiches/<int:entry_id>/historique")
def history(entry_id: int):
    return _history_page(entry_or_404(entry_id))


@bp.route("/fiches/<int:entry_id>/versions/<int:number>")
def revision(entry_id: int, number: int):
    entry = entry_or_404(entry_id)
    rev = _revision_or_404(entry, number)
    workshop = _workshop_or_none(rev.workshop_id)
    return render_template("entries/revision.html", entry=entry, revision=rev, workshop=workshop,
                           revert_form=RevertForm(base_revision=str(entry.revision_number)))


def _diff_numbers(entry: Entry) -> list[int]:
    numbers = []
    for name, default in (("de", max(entry.revision_number - 1, 1)), ("a", entry.revision_number)):
        raw = request.args.get(name, "").strip()
        number = parse_int(raw, minimum=0)
        if raw and number is None:
            abort_with(400, _("Les numéros de version à comparer doivent être des nombres entiers positifs."))
        numbers.append(number if raw else default)
    return numbers


@bp.route("/fiches/<int:entry_id>/diff")
def diff(entry_id: int):
    entry = entry_or_404(entry_id)
    old, new = (_revision_or_404(entry, n) for n in _diff_numbers(entry))
    titles = queries.workshop_titles([old.workshop_id, new.workshop_id])
    changes = diff_entries(side_of_revision(old, titles), side_of_revision(new, titles))
    return render_template("entries/diff.html", entry=entry, old=old, new=new, changes=changes)


# --- writing ----------------------------------------------------------------------------------

def _form_page(form, entry: Entry | None, parent: Entry | None, status: int = 200):
    return render_template("entries/form.html", form=form, entry=entry, parent=parent), status


@bp.route("/fiches/nouvelle", methods=["GET", "POST"])
@writers_only
def create():
    malformed = _malformed_fields()
    raw_parent = request.form.get("parent") if request.method == "POST" else request.args.get("parent")
    parent_id = _optional_id(raw_parent)
    parent = queries.entry_for_page(parent_id) if parent_id else None
    if raw_parent and parent is None and request.method != "POST":
        abort_with(404, _("La fiche parente demandée n'existe pas."))

    form = CreateEntryForm(editions=[parent.edition] if parent else newest_first(), malformed=malformed)
    if not form.is_submitted():
        _preselect(form, parent)
        return _form_page(form, None, parent)

    ok = form.validate()
    if raw_parent and parent is None:
        form.form_errors.append(_("La fiche parente indiquée n'existe pas (ou plus) : "
                                  "retirez-la ou recommencez depuis la fiche parente."))
        ok = False
    if not ok:
        return _form_page(form, None, parent, 422)
    edition, workshop = form.resolve_place()
    try:
        entry = create_entry(
            edition=edition, kind=form.entry_kind, title=form.title.data, body=form.body.data or "",
            tags=form.tags.data or "", workshop=workshop, author=_user(), parent=parent,
            summary=form.summary.data or "",
        )
    except EntryError as exc:
        # The parent is a hidden field: its errors are about the chosen edition.
        attach_error(form, exc, {"parent": "workshop"})
        return _form_page(form, None, parent, 422)
    flash(_("La fiche « %(title)s » a été créée.", title=entry.title), "success")
    return redirect(url_for("entries.show", entry_id=entry.id))


def _preselect(form: CreateEntryForm, parent: Entry | None) -> None:
    """Fill the new-entry form from ?kind=, ?workshop=, ?edition= and the parent entry."""
    kind = EntryKind.from_value(request.args.get("kind")) or (parent.kind if parent else None)
    if kind is not None:
        form.kind.data = kind.value
    workshop = _workshop_or_none(_optional_id(request.args.get("workshop")))
    edition_id = _optional_id(request.args.get("edition"))
    if parent is not None:
        form.parent.data = str(parent.id)
        if workshop is None or workshop.edition_id != parent.edition_id:
            workshop = parent.workshop
        form.workshop.data = place_value(parent.edition_id, workshop.id if workshop else None)
    elif workshop is not None:
        form.workshop.data = place_value(workshop.edition_id, workshop.id)
    elif edition_id and get_by_id(Edition, edition_id) is not None:
        form.workshop.data = place_value(edition_id, None)


def _edit_form(entry: Entry) -> EditEntryForm:
    form = EditEntryForm(editions=[entry.edition], malformed=_malformed_fields())
    if not form.is_submitted():
        form.kind.data = entry.kind.value
        form.title.data = entry.title
        form.body.data = entry.body
        form.tags.data = ", ".join(entry.tag_names)
        form.workshop.data = place_value(entry.edition_id, entry.workshop_id)
        form.base_revision.data = str(entry.revision_number)
    return form


def _checked_base(form: EditEntryForm, entry: Entry) -> int | None:
    """The revision the form started from; None (and the form restarted) when it was tampered with."""
    base = form.base_number()
    if base is not None and base > entry.revision_number:
        base = None
        form.base_revision.errors.append(_("Le numéro de la version de départ est invalide."))
    if base is None:
        # Nobody knows what the tampered form started from: restart from the current
        # version, so that the user reviews their text and saves on a known base.
        form.base_revision.data = str(entry.revision_number)
        form.base_revision.errors.append(_("Le formulaire repart de la version actuelle (%(number)d) : "
                                           "vérifiez votre texte puis enregistrez.", number=entry.revision_number))
    return base


@bp.route("/fiches/<int:entry_id>/modifier", methods=["GET", "POST"])
@writers_only
def edit(entry_id: int):
    entry = entry_or_404(entry_id)
    form = _edit_form(entry)
    if not form.is_submitted():
        return _form_page(form, entry, None)
    ok = form.validate()
    base = _checked_base(form, entry)
    place = form.resolve_place()
    if place is not None and place[0].id != entry.edition_id:
        form.workshop.errors.append(_("Une fiche ne change pas d'édition : choisissez un atelier de « %(edition)s ».",
                                      edition=entry.edition.name))
        ok = False
    if not ok or base is None:
        return _form_page(form, entry, None, 422)
    try:
        new_revision = revise_entry(
            entry, base_revision=base, author=_user(), kind=form.entry_kind, title=form.title.data,
            body=form.body.data or "", tags=form.tags.data or "", workshop=place[1], summary=form.summary.data or "",
        )
    except EditConflict:
        return _conflict(entry, form, base)
    except EntryError as exc:
        attach_error(form, exc)
        return _form_page(form, entry, None, 422)
    if new_revision is None:
        flash(_("Aucune modification : la fiche est identique, aucune version n'a été créée."), "warning")
    else:
        flash(_("Modifications enregistrées (version %(number)d).", number=new_revision.number), "success")
    return redirect(url_for("entries.show", entry_id=entry.id))


def _conflict(entry: Entry, form: EditEntryForm, base: int):
    """Show both texts and their difference; the form now starts from the current version."""
    place = form.resolve_place()
    try:
        my_tags = tuple(parse_tags(form.tags.data or ""))
    except EntryError:
        my_tags = ()
    mine = Side(EntryKind.from_value(form.kind.data), form.title.data or "", form.body.data or "", my_tags,
                place[1].title if place and place[1] else "")
    current = side_of_entry(entry)
    base_revision = queries.get_revision(entry, base)
    form.base_revision.data = str(entry.revision_number)
    titles = queries.workshop_titles([base_revision.workshop_id] if base_revision else [])
    return render_template(
        "entries/conflict.html", entry=entry, form=form, mine=mine, base=base,
        last=queries.get_revision(entry, entry.revision_number),
        theirs=diff_entries(side_of_revision(base_revision, titles), current) if base_revision else None,
        changes=diff_entries(current, mine),
    ), 409


@bp.route("/fiches/<int:entry_id>/retablir/<int:number>", methods=["POST"])
@writers_only
def revert(entry_id: int, number: int):
    entry = entry_or_404(entry_id)
    _revision_or_404(entry, number)
    base = _optional_id(RevertForm().base_revision.data)
    if base is None or base > entry.revision_number:
        abort_with(400, _("Le numéro de la version de départ est invalide : rechargez l'historique et réessayez."))
    try:
        new_revision = revert_entry(entry, number=number, base_revision=base, author=_user())
    except EditConflict:
        return _history_page(entry, status=409, error=_(
            "La fiche a été modifiée entre-temps : rien n'a été rétabli. "
            "Vérifiez l'historique ci-dessous avant de recommencer."))
    if new_revision is None:
        flash(_("Aucune modification : la fiche est déjà identique à la version %(number)d.", number=number), "warning")
    else:
        flash(_("Version %(number)d rétablie (nouvelle version %(new)d).", number=number, new=new_revision.number),
              "success")
    return redirect(url_for("entries.show", entry_id=entry.id))
