"""Decisions on carried entries: reconduit, reformulé, fusionné, scindé, abandonné, réalisé, nouveau.

Each decision moves the typed link(s) out of their state with a compare-and-set (two
facilitators deciding on the same link at the same moment: one wins, the other gets a
conflict, never a 500 nor two decisions) and appends a row to the decision log (who, when,
why), which the entry's history shows. A decision writes a content revision only when it
changes the content (a rewording, a merge or split that renames), through
`commons.entries.services`. All checks run before the first write.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from commons.accounts.models import User
from commons.database import claim, insert_or_ignore
from commons.entries.models import Entry
from commons.entries.services import (
    EntryError,
    adopt_children,
    archive,
    create_entry,
    revise_entry,
    validate_title,
)
from commons.extensions import db
from commons.lineage.models import ActionFollowUp, ActionStatus, Carry, Decision, LineageLink
from commons.lineage.services import (
    EVIDENCE,
    NOTE,
    REASON,
    LineageConflict,
    LineageError,
    ancestor_ids,
    check_later,
    claim_carries,
    followup_of,
    log_decision,
    walk,
)
from commons.models import utcnow

_OPEN = tuple(d for d in Decision if d.is_open)


def _decide(link: LineageLink, decision: Decision, actor: User | None, when: datetime,
            allowed: tuple[Decision, ...] = (Decision.PENDING,)) -> None:
    """Move `link` to `decision`, unless it is no longer in an `allowed` state (taken meanwhile)."""
    current = link.decision
    if current not in allowed or not claim(link, "decision", current, decision):
        db.session.refresh(link)
        raise _already_decided(link)
    link.decided_by_id = actor.id if actor else None
    link.decided_at = when


def _already_decided(link: LineageLink) -> LineageConflict:
    return LineageConflict(_("Une décision a déjà été prise sur « %(title)s » : %(decision)s.",
                             title=link.target.title, decision=link.decision.label.lower()))


def _check_open(link: LineageLink, allowed: tuple[Decision, ...] = (Decision.PENDING,)) -> None:
    if link.decision not in allowed:
        raise _already_decided(link)


def _set_followup(entry: Entry, status: ActionStatus, actor: User | None, when: datetime) -> None:
    if not entry.kind.is_action:
        return
    row = followup_of(entry)
    if row is None:
        row = ActionFollowUp(entry=entry, version=1)
        db.session.add(row)
    elif not claim(row, "version", row.version, row.version + 1):
        # The same claim as a follow-up form's: a form opened before this decision is now stale.
        raise LineageConflict(_("Le suivi de « %(title)s » a été modifié entre-temps : rechargez la page.",
                                title=entry.title))
    row.status = status
    row.updated_by_id = actor.id if actor else None
    row.updated_at = when


def keep(link: LineageLink, *, actor: User | None, at: datetime | None = None) -> None:
    when = at or utcnow()
    _decide(link, Decision.KEPT, actor, when)
    log_decision(Decision.KEPT, entry=link.target, source=link.source, actor=actor, at=when,
                 summary=_("« %(title)s » reconduit", title=link.target.title))
    db.session.flush()


def reword(link: LineageLink, *, actor: User | None, title: str, body: str, base_revision: int,
           at: datetime | None = None) -> None:
    """New wording on the carried entry (a real revision, so it can be diffed); the origin stays linked."""
    _check_open(link)
    target = link.target
    when = at or utcnow()
    old_title = target.title
    try:
        revision = revise_entry(target, base_revision=base_revision, author=actor, kind=target.kind, title=title,
                                body=body, tags=target.tag_names, workshop=target.workshop,
                                summary=_("Reformulation (décision : reformulé)"), at=when)
    except EntryError as exc:
        raise LineageError(str(exc), exc.field) from exc
    if revision is None:
        raise LineageError(_("La nouvelle formulation est identique à l'ancienne : choisissez plutôt « reconduit »."),
                           "title")
    _decide(link, Decision.REWORDED, actor, when)
    log_decision(Decision.REWORDED, entry=target, source=link.source, actor=actor, at=when,
                 summary=_("« %(old)s » reformulé en « %(new)s »", old=old_title, new=target.title))
    db.session.flush()


def _check_merge(links: list[LineageLink], keeper: Entry | None) -> Entry:
    if len(links) < 2:
        raise LineageError(_("Une fusion réunit au moins deux fiches reprises : cochez-en plusieurs."), "links")
    for link in links:
        _check_open(link)
    kinds = {link.target.kind for link in links} | {link.source.kind for link in links if link.source}
    if len(kinds) > 1:
        names = ", ".join(sorted(k.label.lower() for k in kinds))
        raise LineageError(_("Impossible de fusionner des fiches de natures différentes (%(kinds)s) : une "
                             "fusion réunit des fiches d'une même nature.", kinds=names), "links")
    if len({link.target.edition_id for link in links}) > 1:
        raise LineageError(_("Les fiches à fusionner doivent appartenir à la même édition."), "links")
    keeper = keeper or links[0].target
    if keeper.id not in {link.target_entry_id for link in links}:
        raise LineageError(_("La fiche conservée doit faire partie des fiches fusionnées."), "keeper")
    return keeper


def merge(links: list[LineageLink], *, actor: User | None, keeper: Entry | None = None, title: str = "",
          body: str | None = None, at: datetime | None = None) -> Entry:
    """Several carried entries become one (the keeper); every origin stays linked to it."""
    links = list({link.id: link for link in links}.values())
    keeper = _check_merge(links, keeper)
    new_title = validate_title(title) if title and title.strip() else keeper.title
    when = at or utcnow()
    absorbed = [link.target for link in links if link.target_entry_id != keeper.id]
    for link in links:
        _decide(link, Decision.MERGED, actor, when)
    if new_title != keeper.title or (body is not None and body != keeper.body):
        revise_entry(keeper, base_revision=keeper.revision_number, author=actor, kind=keeper.kind, title=new_title,
                     body=keeper.body if body is None else body, tags=keeper.tag_names, workshop=keeper.workshop,
                     summary=_("Nouvelle formulation après fusion"), at=when)
    for link in links:
        old_target, link.target = link.target, keeper
        log_decision(Decision.MERGED, entry=keeper, source=link.source, related=old_target, actor=actor, at=when,
                     summary=_("« %(title)s » fusionné dans « %(keeper)s »",
                               title=link.source.title if link.source else old_target.title, keeper=keeper.title))
    for entry in absorbed:
        adopt_children(keeper, list(entry.children))
        archive(entry, author=actor, at=when)
        row = followup_of(entry)
        if row is not None:
            db.session.delete(row)
    db.session.flush()
    return keeper


def _split_titles(titles: list[str]) -> list[str]:
    try:
        clean = [validate_title(t) for t in titles if t and t.strip()]
    except EntryError as exc:
        raise LineageError(str(exc), "titles") from exc
    if len(clean) < 2:
        raise LineageError(_("Un scindement produit au moins deux fiches : une formulation par ligne."), "titles")
    if len({c.casefold() for c in clean}) < len(clean):
        raise LineageError(_("Deux parties portent le même titre."), "titles")
    return clean


def split(link: LineageLink, *, actor: User | None, titles: list[str], at: datetime | None = None) -> list[Entry]:
    """One carried entry becomes several: the first title rewords it, the others become new entries."""
    _check_open(link)
    clean = _split_titles(titles)
    target, source = link.target, link.source
    when = at or utcnow()
    _decide(link, Decision.SPLIT, actor, when)
    if clean[0] != target.title:
        revise_entry(target, base_revision=target.revision_number, author=actor, kind=target.kind, title=clean[0],
                     body=target.body, tags=target.tag_names, workshop=target.workshop,
                     summary=_("Première partie du scindement"), at=when)
    parts = [target] + [_split_part(link, part_title, position, actor, when)
                        for position, part_title in enumerate(clean[1:], start=1)]
    log_decision(Decision.SPLIT, entry=target, source=source, actor=actor, at=when,
                 summary=_("« %(title)s » scindé en %(titles)s", title=source.title if source else target.title,
                           titles=", ".join(f"« {p.title} »" for p in parts)))
    db.session.flush()
    return parts


def _split_part(link: LineageLink, title: str, position: int, actor: User | None, when: datetime) -> Entry:
    target, source = link.target, link.source
    part = create_entry(edition=target.edition, kind=target.kind, title=title, body="", tags=target.tag_names,
                        workshop=target.workshop, author=actor, parent=target.parent,
                        position=target.position + position, created_at=when,
                        summary=_("Scindée depuis « %(title)s »", title=source.title if source else target.title))
    if source is not None:
        db.session.add(LineageLink(source=source, target=part, decision=Decision.SPLIT, decided_at=when,
                                   decided_by_id=actor.id if actor else None, created_at=when,
                                   created_by_id=actor.id if actor else None))
    origin_followup = followup_of(target)
    if origin_followup is not None:
        db.session.add(ActionFollowUp(entry=part, status=origin_followup.status, updated_at=when,
                                      owner_structure_id=origin_followup.owner_structure_id))
    return part


def drop(link: LineageLink, *, actor: User | None, reason: str, at: datetime | None = None) -> None:
    """Dropped, with a reason; the carried entry is archived (kept, not deleted, so history stays)."""
    _check_open(link, _OPEN)
    reason = REASON.clean(reason)
    when = at or utcnow()
    _decide(link, Decision.DROPPED, actor, when, allowed=_OPEN)
    link.reason = reason
    archive(link.target, author=actor, at=when)
    _set_followup(link.target, ActionStatus.DROPPED, actor, when)
    log_decision(Decision.DROPPED, entry=link.target, source=link.source, actor=actor, at=when, reason=reason,
                 summary=_("« %(title)s » abandonné", title=link.target.title))
    db.session.flush()


def realise(link: LineageLink, *, actor: User | None, evidence: str, at: datetime | None = None) -> None:
    """An action was carried out; what shows it (a date, a place, a document) is required."""
    _check_open(link, _OPEN)
    if not link.target.kind.is_action:
        raise LineageError(_("Seule une action peut être réalisée ; « %(title)s » est de nature %(kind)s.",
                             title=link.target.title, kind=link.target.kind.label.lower()))
    evidence = EVIDENCE.clean(evidence)
    when = at or utcnow()
    _decide(link, Decision.REALISED, actor, when, allowed=_OPEN)
    link.evidence = evidence
    _set_followup(link.target, ActionStatus.DONE, actor, when)
    log_decision(Decision.REALISED, entry=link.target, source=link.source, actor=actor, at=when, evidence=evidence,
                 summary=_("« %(title)s » réalisé", title=link.target.title))
    db.session.flush()


def declare_new(entry: Entry, *, actor: User | None, at: datetime | None = None) -> LineageLink:
    """A new outcome of its edition (no origin)."""
    incoming = db.session.scalars(sa.select(LineageLink).where(LineageLink.target_entry_id == entry.id)).all()
    if any(link.decision is Decision.NEW for link in incoming):
        raise LineageError(_("« %(title)s » est déjà déclarée nouvelle.", title=entry.title))
    if incoming:
        raise LineageError(_("« %(title)s » a une origine dans une édition précédente : elle n'est pas nouvelle.",
                             title=entry.title))
    when = at or utcnow()
    link = LineageLink(source=None, target=entry, decision=Decision.NEW, decided_at=when, created_at=when,
                       decided_by_id=actor.id if actor else None, created_by_id=actor.id if actor else None)
    db.session.add(link)
    if entry.kind.is_action and followup_of(entry) is None:
        db.session.add(ActionFollowUp(entry=entry, status=ActionStatus.PROPOSED, updated_at=when))
    log_decision(Decision.NEW, entry=entry, actor=actor, at=when,
                 summary=_("« %(title)s » nouveau (%(edition)s)", title=entry.title, edition=entry.edition.name))
    db.session.flush()
    return link


def add_origin(target: Entry, source: Entry, *, actor: User | None, at: datetime | None = None) -> LineageLink:
    """Link an existing entry to an origin in an earlier edition, without copying anything."""
    check_later(source.edition, target.edition)
    if source.id == target.id or source.id in {link.target_entry_id for link in walk(target, upwards=False)} \
            or target.id in ancestor_ids(source):
        raise LineageError(_("« %(source)s » descend déjà de « %(target)s » : ce lien créerait un cycle dans "
                             "la filiation.", source=source.title, target=target.title), "source")
    incoming = db.session.scalars(sa.select(LineageLink).where(LineageLink.target_entry_id == target.id)).all()
    if any(link.decision is Decision.NEW for link in incoming):
        raise LineageError(_("« %(title)s » est déclarée nouvelle : elle ne peut pas avoir d'origine.",
                             title=target.title), "source")
    if db.session.scalar(sa.select(Carry.id).where(Carry.source_entry_id == source.id,
                                                   Carry.edition_id == target.edition_id)):
        raise LineageError(_("« %(title)s » a déjà une suite dans %(edition)s.", title=source.title,
                             edition=target.edition.name), "source")
    when = at or utcnow()
    claim_carries([source], target.edition, actor, when)
    link = LineageLink(source=source, target=target, decision=Decision.PENDING, created_at=when,
                       created_by_id=actor.id if actor else None)
    db.session.add(link)
    log_decision(Decision.PENDING, entry=target, source=source, actor=actor, at=when,
                 summary=_("« %(title)s » rattachée à son origine « %(source)s » (%(edition)s)", title=target.title,
                           source=source.title, edition=source.edition.name))
    db.session.flush()
    return link


def update_followup(entry: Entry, *, actor: User | None, status: ActionStatus, owner_id: int | None,
                    note: str = "", base_version: int) -> ActionFollowUp:
    """Set an action's status, owner and note, on top of the version the form showed."""
    if not entry.kind.is_action:
        raise LineageError(_("Seules les actions ont un suivi."))
    note = NOTE.clean(note)
    if followup_of(entry) is None:  # two first updates at once: one row, then one of them conflicts
        insert_or_ignore(ActionFollowUp.__table__, [{"entry_id": entry.id, "version": 0, "note": "",
                                                     "status": ActionStatus.PROPOSED, "updated_at": utcnow()}],
                         ["entry_id"])
    row = followup_of(entry)
    if not claim(row, "version", base_version, base_version + 1):
        db.session.refresh(row)
        raise LineageConflict(_("Le suivi de « %(title)s » a été modifié entre-temps (statut : %(status)s) : "
                                "rien n'a été enregistré. Relisez-le puis recommencez.",
                                title=entry.title, status=row.status.label.lower()))
    row.status, row.owner_structure_id, row.note = status, owner_id, note
    row.updated_by_id = actor.id if actor else None
    row.updated_at = utcnow()
    db.session.flush()
    return row
