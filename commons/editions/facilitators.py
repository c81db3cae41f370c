"""Workshop facilitators: organisers and admins assign accounts to a workshop, who may then carry,
decide and follow up on that workshop's entries (`commons.accounts.permissions.can` reads
`Workshop.facilitator_ids`).

Explicit arguments; services flush, never commit; every check runs before the first write, and
each assignment or removal enters the audit log in the same unit of work. An account is named
as the person chose to be shown (their name or only their structure), never by an address.
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from commons.accounts import audit
from commons.accounts.models import AuditKind, User
from commons.database import get_by_id, insert_or_ignore, storable_ids
from commons.editions.models import Edition, Workshop, WorkshopFacilitator
from commons.editions.services import EditionError
from commons.extensions import db

# Enough to recognise the workshop in the journal, well inside its 500-character detail.
_JOURNAL_LABEL_MAX = 200


def _is_assignable(user: User | None) -> bool:
    return user is not None and user.is_enabled and user.deleted_at is None


def account_label(user: User) -> str:
    """"Camille Martin — La Fibre64", or only "La Fibre64" for a person who shows only it."""
    if user.structure is not None and user.name != user.structure.name:
        return f"{user.name} — {user.structure.name}"
    return user.name


def candidates(workshop: Workshop) -> list[tuple[int, str]]:
    """The accounts that may be assigned (active, not already assigned) as (id, label), by label;
    two alike (two people showing only the same structure) get their account number."""
    assigned = workshop.facilitator_ids
    users = db.session.scalars(sa.select(User).where(User.is_enabled.is_(True), User.deleted_at.is_(None)))
    rows = [(user.id, account_label(user)) for user in users if user.id not in assigned]
    seen = Counter(label for _id, label in rows)
    labelled = [(i, label if seen[label] == 1 else _("%(label)s (compte n°%(id)d)", label=label, id=i))
                for i, label in rows]
    return sorted(labelled, key=lambda row: (row[1].casefold(), row[0]))


def _journal_detail(workshop: Workshop) -> dict:
    label = f"{workshop.edition.name} — {workshop.title}"
    return {"workshop": label[:_JOURNAL_LABEL_MAX], "workshop_id": workshop.id}


def _forget_loaded(workshop: Workshop) -> None:
    # The rows were written with Core statements: the loaded lists would still show the old ones.
    db.session.expire(workshop, ["facilitations", "facilitators"])


def assign_facilitator(workshop: Workshop, user_id: int | None, *, actor: User, now: datetime) -> User:
    """Make account `user_id` a facilitator of `workshop`; refused for an unknown, deactivated or
    deleted account, and for one already assigned (by someone else a moment ago included)."""
    user = get_by_id(User, user_id) if user_id else None
    if not _is_assignable(user):
        raise EditionError(_("Ce compte n'existe pas ou n'est plus actif : choisissez une personne dans la "
                             "liste. Rien n'a changé."), "user")
    already = _("%(name)s anime déjà cet atelier. Rien n'a changé.", name=user.name)
    if user.id in workshop.facilitator_ids:
        raise EditionError(already, "user")
    row = {"workshop_id": workshop.id, "user_id": user.id, "assigned_at": now, "assigned_by_id": actor.id}
    # ON CONFLICT DO NOTHING: two organisers assigning the same person at once get one row and
    # a French refusal, not an IntegrityError.
    if not insert_or_ignore(WorkshopFacilitator.__table__, [row], ["workshop_id", "user_id"]):
        raise EditionError(already, "user")
    audit.record(AuditKind.FACILITATOR_ASSIGNED, now=now, actor_id=actor.id, subject_id=user.id,
                 detail=_journal_detail(workshop))
    _forget_loaded(workshop)
    return user


def remove_facilitator(workshop: Workshop, user_id: int, *, actor: User, now: datetime) -> User:
    """Take account `user_id` off `workshop`'s facilitators; refused when it is not (or no longer) one."""
    user = get_by_id(User, user_id)
    result = None if user is None else db.session.execute(sa.delete(WorkshopFacilitator).where(
        WorkshopFacilitator.workshop_id == workshop.id, WorkshopFacilitator.user_id == user.id))
    if result is None or not result.rowcount:
        raise EditionError(_("Cette personne n'anime pas (ou plus) cet atelier. Rien n'a changé."))
    audit.record(AuditKind.FACILITATOR_REMOVED, now=now, actor_id=actor.id, subject_id=user.id,
                 detail=_journal_detail(workshop))
    _forget_loaded(workshop)
    return user


def personal_facilitations(user_id: int) -> list[dict]:
    """The workshops a person was assigned to facilitate (RGPD export, accounts/mydata.py)."""
    rows = db.session.execute(
        sa.select(Edition.name, Workshop.title, WorkshopFacilitator.assigned_at)
        .join(Workshop, Workshop.id == WorkshopFacilitator.workshop_id).join(Workshop.edition)
        .where(WorkshopFacilitator.user_id == user_id)
        .order_by(WorkshopFacilitator.assigned_at, Workshop.id)).all()
    return [{"edition": r.name, "workshop": r.title, "assigned_at": r.assigned_at.isoformat(timespec="seconds")}
            for r in rows]


def assignments(workshop: Workshop) -> list[WorkshopFacilitator]:
    """Everyone assigned to `workshop`, deactivated accounts included (the organisers' page
    says so), in the order they were assigned, with their account."""
    return list(db.session.scalars(
        sa.select(WorkshopFacilitator).where(WorkshopFacilitator.workshop_id == workshop.id)
        .options(selectinload(WorkshopFacilitator.user))
        .order_by(WorkshopFacilitator.assigned_at, WorkshopFacilitator.user_id)))


def workshops_with_facilitators(ids: set[int]) -> dict[int, Workshop]:
    """These workshops by id, each with its facilitators' ids loaded: one query for a page that
    asks about many (the follow-up of actions), not one per workshop."""
    wanted = storable_ids(ids)
    if not wanted:
        return {}
    found = db.session.scalars(sa.select(Workshop).where(Workshop.id.in_(wanted))
                               .options(selectinload(Workshop.facilitations)))
    return {workshop.id: workshop for workshop in found}
