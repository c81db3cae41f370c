"""Lineage pages: carry outcomes into a workshop, decide on them, an entry's lineage,
edition comparison, the follow-up of actions."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from commons.accounts.models import Role
from commons.accounts.permissions import current_role_at_least, role_required
from commons.database import get_by_id, parse_int
from commons.editions.models import Edition, Workshop
from commons.editions.services import get_edition, get_workshop
from commons.entries.kinds import EntryKind
from commons.entries.models import Entry
from commons.entries.routes import entry_or_404
from commons.entries.services import EditConflict
from commons.extensions import db
from commons.lineage import bp, decisions
from commons.lineage.forms import (
    CarryForm, EmptyForm, EvidenceForm, FollowUpForm, MergeForm, OriginForm, ReasonForm, RefuseForm, RewordForm,
    SplitForm, opts,
)
from commons.lineage.models import ActionStatus, CarryProposal, Decision, LineageLink, ProposalStatus
from commons.lineage.queries import (
    action_rows, compare_editions, entry_lineage, source_workshops, structures_by_name, unlinked_entries,
    workshop_links, workshop_proposals,
)
from commons.lineage.services import (
    CarryMode, LineageError, accept_proposal, carried_into, carry_entries, editions_in_order, entries_to_carry,
    load_entries, propose_carry, refuse_proposal, select_sources,
)
from commons.web import abort_with


def edition_or_404(slug: str) -> Edition:
    edition = get_edition(slug)
    if edition is None:
        abort_with(404, _("Aucune édition ne porte l'identifiant « %(slug)s ».", slug=slug))
    return edition


def workshop_or_404(edition_slug: str, workshop_slug: str) -> Workshop:
    workshop = get_workshop(edition_slug, workshop_slug)
    if workshop is None:
        abort_with(404, _("Cet atelier n'existe pas dans l'édition « %(slug)s ».", slug=edition_slug))
    return workshop


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
    already = carried_into([e.id for e in entries], target.edition)
    return render_template("lineage/carry.html", target=target, form=form, source=chosen, entries=entries,
                           already=already, error=error, can_carry=current_role_at_least(Role.FACILITATOR)), status


@bp.route("/editions/<edition_slug>/ateliers/<workshop_slug>/reprise", methods=["GET", "POST"])
@login_required
def carry(edition_slug, workshop_slug):
    target = workshop_or_404(edition_slug, workshop_slug)
    form = CarryForm()
    if request.method == "GET":
        form.source.data = request.args.get("source", type=int)
        return _carry_page(target, form)
    _carry_choices(target, form, preselect=False)  # the submitted values are checked against them
    if not form.validate_on_submit() or "load" in request.form:
        return _carry_page(target, form, status=200 if "load" in request.form else 422)
    try:
        chosen = entries_to_carry(get_by_id(Workshop, form.source.data), CarryMode(form.mode.data),
                                  kind=EntryKind.from_value(form.kind.data), entry_ids=form.entries.data or [])
        if current_role_at_least(Role.FACILITATOR):
            done = carry_entries(chosen, target=target, author=current_user)
            message = _("%(n)d fiche(s) reprise(s) dans « %(title)s » : à vous de décider de leur suite.",
                        n=len(done), title=target.title)
        else:
            done = propose_carry(chosen, target=target, author=current_user, note=form.note.data or "")
            message = _("%(n)d reprise(s) proposée(s) : un·e animateur·rice va les examiner.", n=len(done))
        db.session.commit()
    except LineageError as exc:
        db.session.rollback()
        return _carry_page(target, form, error=str(exc), status=422)
    except IntegrityError:
        db.session.rollback()
        return _carry_page(target, form, status=422, error=_(
            "Une de ces fiches vient d'être reprise dans cette édition par quelqu'un d'autre. Rechargez la page."))
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
    pending = [l for l in links if l.decision is Decision.PENDING]
    merge_form = merge_form or MergeForm(formdata=None)
    merge_form.links.choices = opts([(link.id, f"{link.target.title} ({link.target.kind.label})")
                                     for link in pending])
    return render_template(
        "lineage/decisions.html", workshop=workshop, links=links, pending=pending,
        unlinked=unlinked_entries(workshop, {l.target_entry_id for l in links}),
        proposals=workshop_proposals(workshop), forms={l.id: _decision_forms(l, failed) for l in links},
        merge_form=merge_form,
        empty_form=EmptyForm(formdata=None), refuse_form=RefuseForm(formdata=None), error=error,
        can_decide=current_role_at_least(Role.FACILITATOR), Decision=Decision, EntryKind=EntryKind,
        ProposalStatus=ProposalStatus,
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
@role_required(Role.FACILITATOR)
def decide(edition_slug, workshop_slug, link_id, action):
    workshop = workshop_or_404(edition_slug, workshop_slug)
    link = get_by_id(LineageLink, link_id)
    if action not in _DECIDE or link is None or link.target.workshop_id != workshop.id:
        abort_with(404, _("Cette décision n'est pas proposée pour cet atelier."))
    name, form_class, apply = _DECIDE[action]
    form = form_class(prefix=f"{name}-{link.id}")
    if not form.validate_on_submit():
        message = next(iter(e for errors in form.errors.values() for e in errors), _("Formulaire invalide."))
        return _decisions_page(workshop, error=str(message), failed=(link.id, name, form), status=422)
    try:
        apply(link, form, current_user)
        db.session.commit()
    except LineageError as exc:
        db.session.rollback()
        return _decisions_page(workshop, error=str(exc), failed=(link_id, name, form), status=422)
    except EditConflict:
        db.session.rollback()
        return _decisions_page(workshop, status=409, failed=(link_id, name, form), error=_(
            "La fiche a été modifiée entre-temps : relisez-la puis reformulez-la à nouveau."))
    flash(_("Décision enregistrée : %(decision)s.", decision=link.decision.label.lower()), "success")
    return redirect(url_for("lineage.decisions_page", edition_slug=edition_slug, workshop_slug=workshop_slug)
                    + f"#lien-{link_id}")


@bp.route("/editions/<edition_slug>/ateliers/<workshop_slug>/decisions/fusion", methods=["POST"])
@role_required(Role.FACILITATOR)
def merge(edition_slug, workshop_slug):
    workshop = workshop_or_404(edition_slug, workshop_slug)
    form = MergeForm()
    if not form.validate_on_submit():
        return _decisions_page(workshop, error=_("Formulaire invalide."), merge_form=form, status=422)
    try:
        links = [get_by_id(LineageLink, i) for i in form.links.data or []]
        if any(l is None or l.target.workshop_id != workshop.id for l in links):
            raise LineageError(_("Une des fiches cochées n'est plus dans cet atelier. Rechargez la page."))
        keeper = decisions.merge(links, actor=current_user, title=form.title.data or "")
        db.session.commit()
    except LineageError as exc:
        db.session.rollback()
        return _decisions_page(workshop, error=str(exc), merge_form=form, status=422)
    flash(_("Fiches fusionnées dans « %(title)s ».", title=keeper.title), "success")
    return redirect(url_for("lineage.decisions_page", edition_slug=edition_slug, workshop_slug=workshop_slug))


@bp.route("/editions/<edition_slug>/ateliers/<workshop_slug>/decisions/nouvelle/<int:entry_id>", methods=["POST"])
@role_required(Role.FACILITATOR)
def declare_new(edition_slug, workshop_slug, entry_id):
    workshop = workshop_or_404(edition_slug, workshop_slug)
    entry = get_by_id(Entry, entry_id)
    if entry is None or entry.workshop_id != workshop.id:
        abort_with(404, _("Cette fiche n'est pas dans cet atelier."))
    if not EmptyForm().validate_on_submit():
        abort_with(400, _("Le formulaire a expiré ou n'est pas valide. Rechargez la page et réessayez."))
    try:
        decisions.declare_new(entry, actor=current_user)
        db.session.commit()
    except LineageError as exc:
        db.session.rollback()
        return _decisions_page(workshop, error=str(exc), status=422)
    flash(_("« %(title)s » est déclarée nouvelle.", title=entry.title), "success")
    return redirect(url_for("lineage.decisions_page", edition_slug=edition_slug, workshop_slug=workshop_slug))


@bp.route("/editions/<edition_slug>/ateliers/<workshop_slug>/propositions/<int:proposal_id>/<answer>",
          methods=["POST"])
@role_required(Role.FACILITATOR)
def answer_proposal(edition_slug, workshop_slug, proposal_id, answer):
    workshop = workshop_or_404(edition_slug, workshop_slug)
    proposal = get_by_id(CarryProposal, proposal_id)
    if answer not in ("accepter", "refuser") or proposal is None or proposal.target_workshop_id != workshop.id:
        abort_with(404, _("Cette proposition de reprise n'existe pas pour cet atelier."))
    form = RefuseForm()
    if not form.validate_on_submit():
        return _decisions_page(workshop, error=_("Formulaire invalide."), status=422)
    try:
        if answer == "accepter":
            accept_proposal(proposal, actor=current_user)
            message = _("Proposition acceptée : la fiche est reprise.")
        else:
            refuse_proposal(proposal, actor=current_user, reason=form.reason.data or "")
            message = _("Proposition refusée.")
        db.session.commit()
    except (LineageError, IntegrityError) as exc:
        db.session.rollback()
        text = str(exc) if isinstance(exc, LineageError) else _("Cette fiche est déjà reprise dans cette édition.")
        return _decisions_page(workshop, error=text, status=422)
    flash(message, "success")
    return redirect(url_for("lineage.decisions_page", edition_slug=edition_slug, workshop_slug=workshop_slug))


# --- reading ----------------------------------------------------------------------------------

@bp.route("/fiches/<int:entry_id>/filiation", methods=["GET", "POST"])
def entry_page(entry_id):
    entry = entry_or_404(entry_id)
    form = OriginForm()
    status = 200
    error = None
    if request.method == "POST":
        if not current_role_at_least(Role.FACILITATOR):
            abort(403)
        if form.validate_on_submit():
            try:
                source = load_entries([form.source_id.data])[0]
                decisions.add_origin(entry, source, actor=current_user)
                db.session.commit()
                flash(_("Origine rattachée : « %(title)s ».", title=source.title), "success")
                return redirect(url_for("lineage.entry_page", entry_id=entry.id))
            except LineageError as exc:
                db.session.rollback()
                error = str(exc)
        status = 422
    return render_template("lineage/entry.html", entry=entry, lineage=entry_lineage(entry), form=form,
                           error=error, can_decide=current_role_at_least(Role.FACILITATOR)), status


@bp.route("/editions/comparer")
def compare_index():
    editions = editions_in_order()
    a = request.args.get("a")
    b = request.args.get("b")
    if a and b:
        return redirect(url_for("lineage.compare", a=a, b=b))
    return render_template("lineage/compare_index.html", editions=editions)


@bp.route("/editions/<a>/comparer/<b>")
def compare(a, b):
    first, second = edition_or_404(a), edition_or_404(b)
    return render_template("lineage/compare.html", comparison=compare_editions(first, second),
                           editions=editions_in_order(), Decision=Decision)


@bp.route("/actions/suivi")
def followup():
    status = next((s for s in ActionStatus if s.value == request.args.get("statut")), None)
    return _followup_page(status)


def _owner_choices():
    return opts([(0, _("— aucune —"))] + [(s.id, s.name) for s in structures_by_name()])


def _followup_page(status: ActionStatus | None, failed: tuple | None = None, code: int = 200):
    rows = action_rows(status)
    owners = _owner_choices()
    forms = {}
    for row in rows:
        if failed and failed[0] == row.entry.id:
            form = failed[1]
        else:
            form = FollowUpForm(prefix=f"suivi-{row.entry.id}", formdata=None, data={
                "status": row.status.value, "owner": row.owner.id if row.owner else 0, "note": row.note})
        form.owner.choices = owners
        forms[row.entry.id] = form
    return render_template("lineage/followup.html", rows=rows, status=status, statuses=list(ActionStatus),
                           forms=forms, can_edit=current_role_at_least(Role.FACILITATOR),
                           error=failed[2] if failed else None), code


@bp.route("/actions/suivi/<int:entry_id>", methods=["POST"])
@role_required(Role.FACILITATOR)
def update_followup(entry_id):
    entry = entry_or_404(entry_id)
    if entry.kind is not EntryKind.ACTION:
        abort_with(404, _("Seules les actions ont un suivi."))
    form = FollowUpForm(prefix=f"suivi-{entry_id}")
    form.owner.choices = _owner_choices()
    if not form.validate_on_submit():
        return _followup_page(None, failed=(entry_id, form, _("Formulaire invalide.")), code=422)
    try:
        decisions.update_followup(entry, actor=current_user, status=ActionStatus(form.status.data),
                                  owner_id=form.owner.data or None, note=form.note.data or "")
        db.session.commit()
    except LineageError as exc:
        db.session.rollback()
        return _followup_page(None, failed=(entry_id, form, str(exc)), code=422)
    flash(_("Suivi de « %(title)s » mis à jour.", title=entry.title), "success")
    return redirect(url_for("lineage.followup") + f"#action-{entry_id}")
