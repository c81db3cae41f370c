"""Browsing the editions: home page, list of editions, an edition's programme, a workshop."""
from __future__ import annotations

from datetime import date

from flask import render_template
from flask_babel import format_date
from flask_babel import gettext as _

from commons.editions import bp
from commons.editions import services
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


@bp.route("/")
def home():
    return render_template(
        "editions/home.html",
        editions=services.list_editions(),
        entry_counts=services.edition_entry_counts(),
        kind_counts=services.kind_counts(),
        revisions=services.latest_revisions(limit=10),
    )


@bp.route("/editions")
def editions():
    return render_template(
        "editions/list.html", editions=services.list_editions(), entry_counts=services.edition_entry_counts(),
    )


@bp.route("/editions/<slug>")
def edition(slug: str):
    edition = services.get_edition(slug)
    if edition is None:
        abort_with(404, _("Aucune édition ne porte l'identifiant « %(slug)s ».", slug=slug))
    return render_template(
        "editions/edition.html", edition=edition, days=services.programme(edition),
        entry_counts=services.workshop_entry_counts(edition), meta_description=plain_excerpt(edition.description),
    )


@bp.route("/editions/<edition_slug>/ateliers/<workshop_slug>")
def workshop(edition_slug: str, workshop_slug: str):
    workshop = services.get_workshop(edition_slug, workshop_slug)
    if workshop is None:
        abort_with(404, _("Cet atelier n'existe pas dans l'édition « %(slug)s ».", slug=edition_slug))
    return render_template("editions/workshop.html", workshop=workshop, edition=workshop.edition,
                           groups=services.workshop_outcomes(workshop),
                           meta_description=plain_excerpt(workshop.description))
