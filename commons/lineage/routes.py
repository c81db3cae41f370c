"""Lineage pages: carry outcomes into a workshop, decide on them, an entry's lineage,
edition comparison, the follow-up of actions.

Views parse, call a service and render or redirect; the request's unit of work commits. A
refusal answers its error's status (422, or 409 when someone else decided first).
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from commons.accounts.permissions import Permission, can, permission_required
from commons.database import get_by_id, parse_int
from commons.editions.facilitators import workshops_with_facilitators
from commons.editions.models import Workshop
from commons.editions.queries import editions_in_order, structures_by_name
from commons.editions.routes import edition_or_404, workshop_or_404
from commons.entries.models import Entry
from commons.entries.queries import build_tree
from commons.entries.routes import entry_or_404
from commons.entries.services import EditConflict
from commons.forms import EmptyForm, opts
from commons.kinds import EntryKind
from commons.lineage import bp, decisions
from commons.lineage.forms import (
    CarryForm,
    EvidenceForm,
    FollowUpForm,
    MergeForm,
    OriginForm,
    ReasonForm,
    RefuseForm,
    RewordForm,
    SplitForm,
)
from commons.lineage.models import ActionStatus, CarryProposal, Decision, LineageLink
from commons.lineage.queries import (
    BUCKETS,
    action_rows,
    compare_editions,
    count_actions,
    entry_lineage,
    source_workshops,
    unlinked_entries,
    workshop_links,
    workshop_proposals,
)
from commons.lineage.services import (
    CarryMode,
    LineageError,
    accept_proposal,
    carried_into,
    carry_entries,
    entries_to_carry,
    load_entries,
    propose_carry,
    refuse_proposal,
    select_sources,
)
from commons.paging import page_or_404
from commons.web import abort_with


def _workshop_acted_on(edition_slug: str | None = None, workshop_slug: str | None = None,
                       entry_id: int | None = None, **_others) -> Workshop | None:
    """The workshop a decision acts on: the one in the address, else the entry's. None (an entry
    outside any workshop, or unknown) leaves the decision to the facilitator role and admins."""
    if workshop_slug is not None:
        return workshop_or_404(edition_slug, workshop_slug)
    entry = get_by_id(Entry, entry_id) if entry_id is not None else None
    return entry.workshop if entry is not None else None


# Carry, decide, follow up: the facilitator role and admins everywhere, and the people assigned
# to facilitate the workshop acted on (commons/editions/facilitators.py), there only.
deciders_only = permission_required(Permission.DECIDE, workshop=_workshop_acted_on)
writers_only = permission_required(Permission.WRITE_ENTRIES)


def _first_error(form) -> str:
    return str(next(iter(e for errors in form.errors.values() for e in errors), _("Formulaire invalide.")))


# --- carrying ---------------------------------------------------------------------------------

def _carry_choices(target: Workshop, form: CarryForm, preselect: bool = True) -> tuple[Workshop | None, list[Entry]]:
    """Fill the form's choices; without a valid source, preselect the same workshop one edition back.

    A submitted form is never given a source it did not ask for (`preselect=False`): an invalid
    one must fail validation, not carry from another workshop.
    """
    sources = source_workshops(target)
    form.source.choices = opts([(w.id, f"{w.edition.name} — {w.title}") for w in sources])
    chosen = next((w for w in sources if w.id == form.source.data), None)
    if chosen is None and sources and preselect:
        same_slug = [w for w in sources if w.slug == target.slug]
        chosen = same_slug[0] if same_slug else sources[0]
        form.source.data = chosen.id
    entries = select_sources(chosen) if chosen else []
    form.entries.choices = opts([(e.id, e.title) for e in entries])
    return chosen, entries


def _carry_page(target: Workshop, form: CarryForm, error: str | None = None, status: int = 200):
    chosen, entries = _carry_choices(target, form)
    return render_template("lineage/carry.html", target=target, form=form, source=chosen, entries=entries,
                           already=carried_into([e.id for e in entries], target.edition), error=error,
                           tree=build_tree(entries)), status


@bp.route("/editions/<edition_slug>/ateliers/<workshop_slug>/reprise", methods=["GET", "POST"])
@writers_only
def carry(edition_slug, workshop_slug):
    target = workshop_or_404(edition_slug, workshop_slug)
    form = CarryForm()
    if request.method == "GET":
        form.source.data = parse_int(request.args.get("source"))
        return _carry_page(target, form)
    _carry_choices(target, form, preselect=False)  # the submitted values are checked against them
    if not form.validate_on_submit() or "load" in request.form:
        return _carry_page(target, form, status=200 if "load" in request.form else 422)
    try:
        chosen = entries_to_carry(get_by_id(Workshop, form.source.data), CarryMode(form.mode.data),
                                  kind=EntryKind.from_value(form.kind.data), entry_ids=form.entries.data or [])
        if can(Permission.DECIDE, target):
            done = carry_entries(chosen, target=target, author=current_user)
            message = _("%(n)d fiche(s) reprise(s) dans « %(title)s » : à vous de décider de leur suite.",
                        n=len(done), title=target.title)
        else:
            done = propose_carry(chosen, target=target, author=current_user, note=form.note.data or "")
            message = _("%(n)d reprise(s) proposée(s) : un·e animateur·rice va les examiner.", n=len(done))
    except LineageError as exc:
        return _carry_page(target, form, error=str(exc), status=exc.status)
    flash(message, "success")
    return redirect(url_for("lineage.decisions_page", edition_slug=edition_slug, workshop_slug=workshop_slug))


# --- decisions --------------------------------------------------------------------------------

def _decision_forms(link: LineageLink, failed: tuple | None) -> dict:
    target = link.target
    forms = {
        "keep": EmptyForm(prefix=f"keep-{link.id}", formdata=None),
        "reword": RewordForm(prefix=f"reword-{link.id}", formdata=None, data={
            "title": target.title, "body": target.body, "base_revision": target.revision_number}),
        "split": SplitForm(prefix=f"split-{link.id}", formdata=None, data={"titles": target.title + "\n"}),
        "drop": ReasonForm(prefix=f"drop-{link.id}", formdata=None),
        "realise": EvidenceForm(prefix=f"realise-{link.id}", formdata=None),
    }
    if failed and failed[0] == link.id:
        forms[failed[1]] = failed[2]
    return forms


def _decisions_page(workshop: Workshop, *, error: str | None = None, failed: tuple | None = None,
                    merge_form: MergeForm | None = None, status: int = 200):
    links = workshop_links(workshop)
    pending = [link for link in links if link.decision.is_pending]
    merge_form = merge_form or MergeForm(formdata=None)
    merge_form.links.choices = opts([(link.id, f"{link.target.title} ({link.target.kind.label})")
                                     for link in pending])
    return render_template(
        "lineage/decisions.html", workshop=workshop, links=links, pending=pending,
        unlinked=unlinked_entries(workshop, {link.target_entry_id for link in links}),
        proposals=workshop_proposals(workshop), forms={link.id: _decision_forms(link, failed) for link in links},
        merge_form=merge_form, refuse_form=RefuseForm(formdata=None), error=error,
        can_decide=can(Permission.DECIDE, workshop),
    ), status


@bp.route("/editions/<edition_slug>/ateliers/<workshop_slug>/decisions")
def decisions_page(edition_slug, workshop_slug):
    return _decisions_page(workshop_or_404(edition_slug, workshop_slug))


def _revision_number(raw: str | None) -> int:
    """The hidden base revision; anything but ASCII digits matches no revision (a conflict, not a 500)."""
    number = parse_int(raw, minimum=0)
    return -1 if number is None else number


_DECIDE = {
    "reconduire": ("keep", EmptyForm, lambda link, f, user: decisions.keep(link, actor=user)),
    "reformuler": ("reword", RewordForm, lambda link, f, user: decisions.reword(
        link, actor=user, title=f.title.data, body=f.body.data or "",
        base_revision=_revision_number(f.base_revision.data))),
    "scinder": ("split", SplitForm, lambda link, f, user: decisions.split(
        link, actor=user, titles=(f.titles.data or "").splitlines())),
    "abandonner": ("drop", ReasonForm, lambda link, f, user: decisions.drop(link, actor=user, reason=f.reason.data)),
    "realiser": ("realise", EvidenceForm, lambda link, f, user: decisions.realise(
        link, actor=user, evidence=f.evidence.data)),
}


@bp.route("/editions/<edition_slug>/ateliers/<workshop_slug>/decisions/<int:link_id>/<action>", methods=["POST"])
@deciders_only
def decide(edition_slug, workshop_slug, link_id, action):
    workshop = workshop_or_404(edition_slug, workshop_slug)
    link = get_by_id(LineageLink, link_id)
    if action not in _DECIDE or link is None or link.target.workshop_id != workshop.id:
        abort_with(404, _("Cette décision n'est pas proposée pour cet atelier."))
    name, form_class, apply = _DECIDE[action]
    form = form_class(prefix=f"{name}-{link.id}")
    if not form.validate_on_submit():
        return _decisions_page(workshop, error=_first_error(form), failed=(link.id, name, form), status=422)
    try:
        apply(link, form, current_user)
    except EditConflict:
        return _decisions_page(workshop, status=409, failed=(link_id, name, form), error=_(
            "La fiche a été modifiée entre-temps : relisez-la puis reformulez-la à nouveau."))
    except LineageError as exc:
        return _decisions_page(workshop, error=str(exc), failed=(link_id, name, form), status=exc.status)
    flash(_("Décision enregistrée : %(decision)s.", decision=link.decision.label.lower()), "success")
    return redirect(url_for("lineage.decisions_page", edition_slug=edition_slug, workshop_slug=workshop_slug)
                    + f"#lien-{link_id}")


@bp.route("/editions/<edition_slug>/ateliers/<workshop_slug>/decisions/fusion", methods=["POST"])
@deciders_only
def merge(edition_slug, workshop_slug):
    workshop = workshop_or_404(edition_slug, workshop_slug)
    form = MergeForm()
    if not form.validate_on_submit():
        return _decisions_page(workshop, error=_("Formulaire invalide."), merge_form=form, status=422)
    links = [get_by_id(LineageLink, i) for i in form.links.data or []]
    try:
        if any(link is None or link.target.workshop_id != workshop.id for link in links):
            raise LineageError(_("Une des fiches cochées n'est plus dans cet atelier. Rechargez la page."))
        keeper = decisions.merge(links, actor=current_user, title=form.title.data or "")
    except EditConflict:
        return _decisions_page(workshop, error=_("Une des fiches a été modifiée entre-temps : rechargez la page."),
                               merge_form=form, status=409)
    except LineageError as exc:
        return _decisions_page(workshop, error=str(exc), merge_form=form, status=exc.status)
    flash(_("Fiches fusionnées dans « %(title)s ».", title=keeper.title), "success")
    return redirect(url_for("lineage.decisions_page", edition_slug=edition_slug, workshop_slug=workshop_slug))


@bp.route("/editions/<edition_slug>/ateliers/<workshop_slug>/decisions/nouvelle/<int:entry_id>", methods=["POST"])
@deciders_only
def declare_new(edition_slug, workshop_slug, entry_id):
    workshop = workshop_or_404(edition_slug, workshop_slug)
    entry = get_by_id(Entry, entry_id)
    if entry is None or entry.workshop_id != workshop.id:
        abort_with(404, _("Cette fiche n'est pas dans cet atelier."))
    try:
        decisions.declare_new(entry, actor=current_user)
    except LineageError as exc:
        return _decisions_page(workshop, error=str(exc), status=exc.status)
    flash(_("« %(title)s » est déclarée nouvelle.", title=entry.title), "success")
    return redirect(url_for("lineage.decisions_page", edition_slug=edition_slug, workshop_slug=workshop_slug))


@bp.route("/editions/<edition_slug>/ateliers/<workshop_slug>/propositions/<int:proposal_id>/<answer>",
          methods=["POST"])
@deciders_only
def answer_proposal(edition_slug, workshop_slug, proposal_id, answer):
    workshop = workshop_or_404(edition_slug, workshop_slug)
    proposal = get_by_id(CarryProposal, proposal_id)
    if answer not in ("accepter", "refuser") or proposal is None or proposal.target_workshop_id != workshop.id:
        abort_with(404, _("Cette proposition de reprise n'existe pas pour cet atelier."))
    form = RefuseForm()
    if not form.validate_on_submit():
        return _decisions_page(workshop, error=_first_error(form), status=422)
    try:
        if answer == "accepter":
            accept_proposal(proposal, actor=current_user)
            message = _("Proposition acceptée : la fiche est reprise.")
        else:
            refuse_proposal(proposal, actor=current_user, reason=form.reason.data or "")
            message = _("Proposition refusée.")
    except LineageError as exc:
        return _decisions_page(workshop, error=str(exc), status=exc.status)
    flash(message, "success")
    return redirect(url_for("lineage.decisions_page", edition_slug=edition_slug, workshop_slug=workshop_slug))


# --- reading ----------------------------------------------------------------------------------

def _lineage_page(entry: Entry, form: OriginForm, error: str | None = None, status: int = 200):
    return render_template("lineage/entry.html", entry=entry, lineage=entry_lineage(entry), form=form,
                           error=error, can_decide=can(Permission.DECIDE, entry.workshop)), status


@bp.route("/fiches/<int:entry_id>/filiation")
def entry_page(entry_id):
    return _lineage_page(entry_or_404(entry_id), OriginForm(formdata=None))


@bp.route("/fiches/<int:entry_id>/filiation", methods=["POST"])
@deciders_only
def add_origin(entry_id):
    entry = entry_or_404(entry_id)
    form = OriginForm()
    if not form.validate_on_submit():
        return _lineage_page(entry, form, status=422)
    try:
        source = load_entries([form.source_id.data])[0]
        decisions.add_origin(entry, source, actor=current_user)
    except LineageError as exc:
        return _lineage_page(entry, form, error=str(exc), status=exc.status)
    flash(_("Origine rattachée : « %(title)s ».", title=source.title), "success")
    return redirect(url_for("lineage.entry_page", entry_id=entry.id))


@bp.route("/editions/comparer")
def compare_index():
    a, b = request.args.get("a"), request.args.get("b")
    if a and b:
        return redirect(url_for("lineage.compare", a=a, b=b))
    return render_template("lineage/compare_index.html", editions=editions_in_order())


@bp.route("/editions/<a>/comparer/<b>")
def compare(a, b):
    first, second = edition_or_404(a), edition_or_404(b)
    return render_template("lineage/compare.html", comparison=compare_editions(first, second),
                           editions=editions_in_order(), buckets=BUCKETS, Decision=Decision)


@bp.route("/actions/suivi")
def followup():
    status = next((s for s in ActionStatus if s.value == request.args.get("statut")), None)
    return _followup_page(status)


def _followup_page(status: ActionStatus | None, failed: tuple | None = None, code: int = 200):
    total = count_actions(status)
    page = page_or_404(total, _l("Cette page du suivi n'existe pas (pages 1 à %(last)d)."))
    rows = action_rows(status, limit=page.per_page, offset=page.offset)
    forms = {}
    editable = _followed_up_by_me(rows)
    owners = opts([(0, _("— aucune —"))] + [(s.id, s.name) for s in structures_by_name()]) if editable else []
    for row in editable:
        form = failed[1] if failed and failed[0] == row.entry.id else FollowUpForm(
            prefix=f"suivi-{row.entry.id}", formdata=None, data={
                "status": row.status.value, "owner": row.owner.id if row.owner else 0, "note": row.note,
                "base_version": row.version})
        form.owner.choices = owners
        forms[row.entry.id] = form
    return render_template("lineage/followup.html", rows=rows, status=status, statuses=list(ActionStatus),
                           forms=forms, page=page, total=total, error=failed[2] if failed else None), code


def _followed_up_by_me(rows: list) -> list:
    """The rows whose action the signed-in person may follow up: every row for the facilitator role
    and admins, those of the workshops they facilitate for the others, none for anonymous readers
    (who get the table without a query more)."""
    if not current_user.is_authenticated:
        return []
    if can(Permission.DECIDE):
        return rows
    workshops = workshops_with_facilitators({row.entry.workshop_id for row in rows if row.entry.workshop_id})
    return [row for row in rows if can(Permission.DECIDE, workshops.get(row.entry.workshop_id))]


@bp.route("/actions/suivi/<int:entry_id>", methods=["POST"])
@deciders_only
def update_followup(entry_id):
    entry = entry_or_404(entry_id)
    if not entry.kind.is_action:
        abort_with(404, _("Seules les actions ont un suivi."))
    form = FollowUpForm(prefix=f"suivi-{entry_id}")
    form.owner.choices = opts([(0, "—")] + [(s.id, s.name) for s in structures_by_name()])
    if not form.validate_on_submit():
        return _followup_page(None, failed=(entry_id, form, _first_error(form)), code=422)
    try:
        decisions.update_followup(entry, actor=current_user, status=ActionStatus(form.status.data),
                                  owner_id=form.owner.data or None, note=form.note.data or "",
                                  base_version=form.base_version.number)
    except LineageError as exc:
        return _followup_page(None, failed=(entry_id, form, str(exc)), code=exc.status)
    flash(_("Suivi de « %(title)s » mis à jour.", title=entry.title), "success")
    return redirect(url_for("lineage.followup") + f"#action-{entry_id}")
