"""What syntheses add to the workshop page: the latest published version, and the draft's
link for those who may act on the workshop."""
from __future__ import annotations

from flask import render_template
from markupsafe import Markup

from commons.accounts.permissions import Permission, can
from commons.editions.models import Workshop
from commons.syntheses.queries import versions_of


def workshop_section(workshop: Workshop) -> Markup | None:
    versions = versions_of(workshop)
    may_edit = can(Permission.DECIDE, workshop)
    if not versions and not may_edit:
        return None
    return Markup(render_template("syntheses/_workshop_synthesis.html", workshop=workshop,
                                  latest=versions[-1] if versions else None, can_edit=may_edit))
