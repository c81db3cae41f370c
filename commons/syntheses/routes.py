"""Synthesis pages: the published synthesis and its versions (public), the draft editor and
publishing (the workshop's facilitators, organisers and admins: `can(Permission.DECIDE, workshop)`).

Published versions have GET routes only: nothing can alter one (a POST answers 405).
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from commons.accounts.permissions import Permission, can, permission_required
from commons.database import parse_int
from commons.editions.models import Workshop
from commons.editions.routes import workshop_or_404
from commons.kinds import EntryKind
from commons.syntheses import arrangement, bp
from commons.syntheses.diff import diff_versions
from commons.syntheses.queries import changed_entries, version_or_404, versions_of
from commons.syntheses.services import (
    SynthesisError,
    draft_sections,
    publish,
    save_draft,
    synthesis_of,
    workshop_entries,
)
from commons.web import abort_with

BASE = "/editions/<edition_slug>/ateliers/<workshop_slug>/synthese"


def _workshop(edition_slug: str, workshop_slug: str, **_others) -> Workshop:
    return workshop_or_404(edition_slug, workshop_slug)


# Drafts and publishing: whoever may act on this workshop (commons/accounts/permissions.py).
deciders_only = permission_required(Permission.DECIDE, workshop=_workshop)


def _version_page(workshop: Workshop, version, *, is_latest: bool):
    return render_template("syntheses/version.html", workshop=workshop, edition=workshop.edition, version=version,
                           versions=versions_of(workshop), changed=changed_entries(version), is_latest=is_latest,
                           can_edit=can(Permission.DECIDE, workshop), kind_of=EntryKind.from_value)


@bp.route(BASE)
def latest(edition_slug, workshop_slug):
    workshop = _workshop(edition_slug, workshop_slug)
    versions = versions_of(workshop)
    if not versions:
        return render_template("syntheses/none.html", workshop=workshop, edition=workshop.edition,
                               can_edit=can(Permission.DECIDE, workshop))
    return _version_page(workshop, versions[-1], is_latest=True)


@bp.route(f"{BASE}/v/<int:number>")
def version(edition_slug, workshop_slug, number):
    workshop = _workshop(edition_slug, workshop_slug)
    found = version_or_404(workshop, number)
    return _version_page(workshop, found, is_latest=found.number == len(versions_of(workshop)))


def _diff_numbers(last: int) -> list[int]:
    """`de` and `a` from the address; by default the last version against the one before."""
    numbers = []
    for name, default in (("de", max(last - 1, 1)), ("a", last)):
        raw = request.args.get(name, "").strip()
        number = parse_int(raw)
        if raw and number is None:
            abort_with(400, _("Les numéros de version à comparer doivent être des nombres entiers positifs."))
        numbers.append(number if raw else default)
    return numbers


@bp.route(f"{BASE}/diff")
def diff(edition_slug, workshop_slug):
    workshop = _workshop(edition_slug, workshop_slug)
    last = len(versions_of(workshop))
    old, new = (version_or_404(workshop, n) for n in _diff_numbers(last))
    return render_template("syntheses/diff.html", workshop=workshop, edition=workshop.edition, old=old, new=new,
                           segments=diff_versions(old, new))


def _draft_page(workshop: Workshop, *, error: str | None = None, status: int = 200):
    synthesis = synthesis_of(workshop)
    form = request.form if error else None  # a refused form shows what was typed
    return render_template("syntheses/draft.html", workshop=workshop, edition=workshop.edition,
                           synthesis=synthesis, sections=draft_sections(workshop, synthesis),
                           versions=versions_of(workshop), error=error, typed=form), status


def _draft_base(raw: str | None) -> int:
    base = parse_int(raw, minimum=0)
    if base is None:
        raise SynthesisError(_("Ce formulaire ne dit pas de quel état du brouillon il part : rechargez la page."))
    return base


@bp.route(f"{BASE}/brouillon", methods=["GET", "POST"])
@deciders_only
def draft(edition_slug, workshop_slug):
    workshop = _workshop(edition_slug, workshop_slug)
    if request.method == "GET":
        return _draft_page(workshop)
    try:
        arranged = arrangement.parse(request.form, workshop_entries(workshop))
        save_draft(workshop, current_user, intro=request.form.get("intro", ""),
                   conclusion=request.form.get("conclusion", ""), arrangement=arranged,
                   base=_draft_base(request.form.get("draft_number")))
    except SynthesisError as exc:
        return _draft_page(workshop, error=str(exc), status=exc.status)
    flash(_("Brouillon de la synthèse enregistré."), "success")
    return redirect(url_for("syntheses.draft", edition_slug=edition_slug, workshop_slug=workshop_slug))


@bp.route(f"{BASE}/publier", methods=["POST"])
@deciders_only
def publish_view(edition_slug, workshop_slug):
    workshop = _workshop(edition_slug, workshop_slug)
    try:
        published = publish(workshop, current_user)
    except SynthesisError as exc:
        return _draft_page(workshop, error=str(exc), status=exc.status)
    flash(_("Version %(number)d de la synthèse publiée.", number=published.number), "success")
    return redirect(url_for("syntheses.version", edition_slug=edition_slug, workshop_slug=workshop_slug,
                            number=published.number))
