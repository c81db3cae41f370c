"""The workshop page's list of what the workshop shared (and, for syntheses, the same list)."""
from __future__ import annotations

from flask import render_template
from flask_babel import gettext as _
from markupsafe import Markup

from commons.accounts.permissions import Permission, can
from commons.editions.models import Workshop
from commons.resources import bp, sniff
from commons.resources.models import WorkshopResource


@bp.app_template_filter("file_size")
def file_size(size: int | None) -> str:
    """340 octets · 12 ko · 1,4 Mo, as French writes sizes (1 ko = 1 024 octets)."""
    if size is None:
        return ""
    if size < 1024:
        return _("%(n)d octets", n=size)
    if size < 1024 * 1024:
        return _("%(n)s ko", n=f"{size / 1024:.0f}")
    return _("%(n)s Mo", n=f"{size / 2**20:.1f}".replace(".", ",").removesuffix(",0"))


@bp.app_template_filter("file_type")
def file_type(resource: WorkshopResource) -> str:
    kind = sniff.TYPES.get(resource.media_type or "")
    return str(kind.label) if kind else ""


def resource_list(workshop: Workshop) -> Markup:
    """The resources as a list, for any page that shows a workshop (its synthesis included)."""
    return Markup(render_template("resources/_list.html", resources=workshop.resources))


def workshop_section(workshop: Workshop) -> Markup | None:
    manages = can(Permission.DECIDE, workshop)
    if not workshop.resources and not manages:
        return None
    return Markup(render_template("resources/_workshop_resources.html", workshop=workshop,
                                  resources=workshop.resources, manages=manages))
