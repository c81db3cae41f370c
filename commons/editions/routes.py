"""Browsing the editions: home page, list of editions, an edition's programme, a workshop.

What other domains show on these pages (entry counts, a workshop's outcomes, its decisions)
comes through the panels they registered (`commons.panels`).
"""
from __future__ import annotations

from datetime import date

from flask import render_template, request
from flask_babel import format_date
from flask_babel import gettext as _

from commons.editions import bp, queries
from commons.editions.models import Edition, Workshop
from commons.panels import Slot, badges, sections
from commons.text import plain_excerpt
from commons.web import abort_with


@bp.app_template_filter("date_range")
def date_range(start: date | None, end: date | None = None) -> str:
    """6 juin 2023 · 6 et 7 juin 2023 · du 6 au 9 juin 2023 · du 30 mai au 2 juin 2023."""
    if start is None:
        return ""
    if end is None or end == start:
        return format_date(start, "d MMMM y")
    last = format_date(end, "d MMMM y")
    if (start.year, start.month) == (end.year, end.month):
        if (end - start).days == 1:
            return _("%(first)s et %(last)s", first=start.day, last=last)
        return _("du %(first)s au %(last)s", first=start.day, last=last)
    first = format_date(start, "d MMMM" if start.year == end.year else "d MMMM y")
    return _("du %(first)s au %(last)s", first=first, last=last)


def edition_or_404(slug: str) -> Edition:
    edition = queries.get_edition(slug)
    if edition is None:
        abort_with(404, _("Aucune édition ne porte l'identifiant « %(slug)s ».", slug=slug))
    return edition


def workshop_or_404(edition_slug: str, workshop_slug: str) -> Workshop:
    """The workshop a request names. Found once per request: a workshop's action asks twice, its
    permission check (`permission_required(..., workshop=...)`) and then the view."""
    found = request.environ.setdefault("commons.workshops", {})
    workshop = found.get((edition_slug, workshop_slug))
    if workshop is None:
        workshop = queries.get_workshop(edition_slug, workshop_slug)
        if workshop is None:
            abort_with(404, _("Cet atelier n'existe pas dans l'édition « %(slug)s ».", slug=edition_slug))
        found[(edition_slug, workshop_slug)] = workshop
    return workshop


@bp.route("/")
def home():
    editions = queries.newest_first()
    return render_template("editions/home.html", editions=editions,
                           cards=badges(Slot.EDITION_CARDS, editions), sections=sections(Slot.HOME))


@bp.route("/editions")
def editions():
    editions = queries.newest_first()
    return render_template("editions/list.html", editions=editions, cards=badges(Slot.EDITION_CARDS, editions))


@bp.route("/editions/<slug>")
def edition(slug: str):
    edition = edition_or_404(slug)
    return render_template(
        "editions/edition.html", edition=edition, days=queries.programme(edition),
        sessions=badges(Slot.PROGRAMME, edition.workshops), meta_description=plain_excerpt(edition.description),
        sections=sections(Slot.EDITION, edition=edition),
    )


@bp.route("/editions/<edition_slug>/ateliers/<workshop_slug>")
def workshop(edition_slug: str, workshop_slug: str):
    workshop = workshop_or_404(edition_slug, workshop_slug)
    return render_template("editions/workshop.html", workshop=workshop, edition=workshop.edition,
                           facilitators=workshop.facilitators, sections=sections(Slot.WORKSHOP, workshop=workshop),
                           meta_description=plain_excerpt(workshop.description))
