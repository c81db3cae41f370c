"""Browsing entries: by kind (nature), by tag (étiquette), recent changes, a person's
contributions (their public page), and the parts of the
editions' pages that list entries (registered as panels in `commons.entries.init_app`)."""
from __future__ import annotations

from collections.abc import Sequence

from flask import redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from markupsafe import Markup

from commons.accounts.departments import label as department_label
from commons.accounts.models import User
from commons.database import get_by_id, is_storable_id
from commons.editions.models import Edition, Workshop
from commons.entries import bp, queries
from commons.kinds import EntryKind
from commons.paging import page_or_404
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
    count = queries.count_of_kind(entry_kind)
    page = page_or_404(count, _l("Cette page de la liste n'existe pas (pages 1 à %(last)d)."))
    return render_template("entries/by_kind.html", kind=entry_kind, groups=queries.entries_of_kind(entry_kind, page),
                           count=count, page=page, meta_description=entry_kind.description)


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
    count = queries.count_with_tag(tag)
    page = page_or_404(count, _l("Cette page de la liste n'existe pas (pages 1 à %(last)d)."))
    return render_template("entries/by_tag.html", tag=tag, groups=queries.entries_with_tag(tag, page), count=count,
                           page=page)


@bp.route("/personnes/<int:user_id>")
def person(user_id: int):
    """A person's public page: how they chose to be named, their structure, their contributions."""
    user = get_by_id(User, user_id) if is_storable_id(user_id) else None
    if user is None or user.deleted_at is not None:
        abort_with(404, _("Cette personne n'a pas (ou plus) de page."))
    total = queries.count_revisions_by(user.id)
    page = page_or_404(total, _l("Cette page des contributions n'existe pas (pages 1 à %(last)d)."))
    return render_template("entries/person.html", person=user, page=page, total=total,
                           department=department_label(user.department),
                           revisions=queries.revisions_by(user.id, limit=page.per_page, offset=page.offset))


@bp.route("/modifications")
def recent_changes():
    total = queries.count_revisions()
    page = page_or_404(total, _l("Cette page des modifications n'existe pas (pages 1 à %(last)d)."))
    revisions = queries.latest_revisions(limit=page.per_page, offset=page.offset)
    return render_template("entries/changes.html", revisions=revisions, page=page, total=total)


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
    count = queries.count_in_workshop(workshop)
    page = page_or_404(count, _l("Cette page des fiches de l'atelier n'existe pas (pages 1 à %(last)d)."))
    return Markup(render_template("entries/_workshop_outcomes.html", workshop=workshop, count=count, page=page,
                                  groups=queries.workshop_outcomes(workshop, page)))


def home_sections() -> Markup:
    return Markup(render_template("entries/_home.html", kind_counts=queries.kind_counts(),
                                  revisions=queries.latest_revisions(limit=10)))
