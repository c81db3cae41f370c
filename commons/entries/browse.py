"""Browsing entries: by kind (nature), by tag (étiquette), recent changes, and the parts of the
editions' pages that list entries (registered as panels in `commons.entries.init_app`)."""
from __future__ import annotations

from collections.abc import Sequence

from flask import current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup

from commons.database import parse_int
from commons.editions.models import Edition, Workshop
from commons.entries import bp, queries
from commons.kinds import EntryKind
from commons.text import tag_slug
from commons.web import abort_with


@bp.route("/natures")
def kinds():
    return render_template("entries/kinds.html", counts=queries.kind_counts())


@bp.route("/natures/<kind>")
def by_kind(kind: str):
    entry_kind = EntryKind.from_value(kind)
    if entry_kind is None:
        abort_with(404, _("La nature « %(kind)s » n'existe pas. Les natures sont : %(known)s.",
                          kind=kind, known=", ".join(k.label.lower() for k in EntryKind)))
    groups = queries.entries_of_kind(entry_kind)
    return render_template("entries/by_kind.html", kind=entry_kind, groups=groups,
                           count=queries.count_entries(groups), meta_description=entry_kind.description)


@bp.route("/etiquettes")
def tags():
    return render_template("entries/tags.html", tags=queries.tag_counts())


@bp.route("/etiquettes/<path:slug>")
def by_tag(slug: str):
    canonical = tag_slug(slug)
    if canonical and canonical != slug:
        # "Parentalité numérique" and "parentalite-numerique" name one tag: one address for it.
        return redirect(url_for("entries.by_tag", slug=canonical), code=301)
    tag = queries.get_tag(slug) if canonical else None
    if tag is None:
        abort_with(404, _("Aucune fiche ne porte l'étiquette « %(slug)s ».", slug=slug))
    groups = queries.entries_with_tag(tag)
    return render_template("entries/by_tag.html", tag=tag, groups=groups, count=queries.count_entries(groups))


@bp.route("/modifications")
def recent_changes():
    per_page = current_app.config.get("ENTRIES_PER_PAGE", 50)
    total = queries.count_revisions()
    last_page = max(1, -(-total // per_page))
    page = parse_int(request.args.get("page", "1")) or 0
    if not 1 <= page <= last_page:
        abort_with(404, _("Cette page des modifications n'existe pas (pages 1 à %(last)d).", last=last_page))
    revisions = queries.latest_revisions(limit=per_page, offset=(page - 1) * per_page)
    return render_template("entries/changes.html", revisions=revisions, page=page, last_page=last_page, total=total)


# --- panels on the editions' pages ------------------------------------------------------------

def _count_line(count: int) -> Markup:
    return Markup('<p class="count">{}</p>').format(ngettext("%(num)d fiche", "%(num)d fiches", count))


def edition_cards(editions: Sequence[Edition]) -> dict[int, Markup]:
    counts = queries.edition_entry_counts()
    return {edition.id: _count_line(counts.get(edition.id, 0)) for edition in editions}


def programme_sessions(workshops: Sequence[Workshop]) -> dict[int, Markup]:
    counts = queries.workshop_entry_counts([w.id for w in workshops])
    return {workshop_id: _count_line(n) for workshop_id, n in counts.items() if n}


def workshop_outcomes(workshop: Workshop) -> Markup:
    return Markup(render_template("entries/_workshop_outcomes.html", workshop=workshop,
                                  groups=queries.workshop_outcomes(workshop)))


def home_sections() -> Markup:
    return Markup(render_template("entries/_home.html", kind_counts=queries.kind_counts(),
                                  revisions=queries.latest_revisions(limit=10)))
