"""The resources the 2023 report says workshops shared, where an address can be given honestly.

The report (bilan NEC Sud-Ouest 2023) prints no address at all. The passerelles workshop lists
"La stratégie numérique 2023 2027", which its description names precisely ("la stratégie du
numérique 2023-2027 de l'Éducation Nationale"): it links to the ministry's own site for that
strategy. Left out, for want of an address or of a precise name: "La déclinaison landaise de
la stratégie", "Les ressources de l'éducation nationale sur la parentalité numérique" (the same
workshop), and the "Support de présentation" of the masterclass "C'est quoi la médiation
numérique ?" (a file the report does not include).
"""
from __future__ import annotations

import sqlalchemy as sa

from commons.editions.queries import get_workshop
from commons.extensions import db
from commons.resources.models import WorkshopResource
from commons.resources.services import add_link

EDITION = "nec-sud-ouest-2023"
LINKS = [
    ("passerelles-mediation-numerique-ecole", "Stratégie du numérique pour l'éducation 2023-2027 (Éducation nationale)",
     "https://strategie-numerique.incubateur.education.gouv.fr"),
]


def load_resources_2023() -> bool:
    """Add the links still missing (by workshop and address); True when one was added."""
    added = False
    for workshop_slug, title, url in LINKS:
        workshop = get_workshop(EDITION, workshop_slug)
        if workshop is None:
            continue
        present = db.session.scalar(sa.select(WorkshopResource.id).where(
            WorkshopResource.workshop_id == workshop.id, WorkshopResource.url == url))
        if present is None:
            add_link(workshop, title=title, url=url, author=None)
            added = True
    return added
