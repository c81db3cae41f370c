"""Browsing entries across editions: by kind (nature) and by tag (étiquette)."""
from __future__ import annotations

from flask import current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _

from commons.database import parse_int
from commons.editions import services
from commons.entries import bp
from commons.entries.kinds import EntryKind
from commons.entries.services import tag_slug
from commons.web import abort_with


@bp.route("/natures")
def kinds():
    return render_template("entries/kinds.html", counts=services.kind_counts())


@bp.route("/natures/<kind>")
def by_kind(kind: str):
    entry_kind = EntryKind.from_value(kind)
    if entry_kind is None:
        abort_with(404, _("La nature « %(kind)s » n'existe pas. Les natures sont : %(known)s.",
                          kind=kind, known=", ".join(k.label.lower() for k in EntryKind)))
    groups = services.entries_of_kind(entry_kind)
    return render_template("entries/by_kind.html", kind=entry_kind, groups=groups, count=services.count_entries(groups),
                           meta_description=entry_kind.description)


@bp.route("/etiquettes")
def tags():
    return render_template("entries/tags.html", tags=services.tag_counts())


@bp.route("/etiquettes/<path:slug>")
def by_tag(slug: str):
    canonical = tag_slug(slug)
    if canonical and canonical != slug:
        # "Parentalité numérique" and "parentalite-numerique" name one tag: one address for it.
        return redirect(url_for("entries.by_tag", slug=canonical), code=301)
    tag = services.get_tag(slug) if canonical else None
    if tag is None:
        abort_with(404, _("Aucune fiche ne porte l'étiquette « %(slug)s ».", slug=slug))
    groups = services.entries_with_tag(tag)
    return render_template("entries/by_tag.html", tag=tag, groups=groups,
                           count=services.count_entries(groups))


@bp.route("/modifications")
def recent_changes():
    per_page = current_app.config.get("ENTRIES_PER_PAGE", 50)
    total = services.count_revisions()
    last_page = max(1, -(-total // per_page))
    page = parse_int(request.args.get("page", "1")) or 0
    if not 1 <= page <= last_page:
        abort_with(404, _("Cette page des modifications n'existe pas (pages 1 à %(last)d).", last=last_page))
    revisions = services.latest_revisions(limit=per_page, offset=(page - 1) * per_page)
    return render_template("entries/changes.html", revisions=revisions, page=page, last_page=last_page, total=total)
