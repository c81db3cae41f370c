"""Accounts administration: the accounts list, roles, deactivation, and the audit journal.

Services take explicit arguments and flush; the request's unit of work commits
(commons/database.py). A refusal raises AccountError before anything is written.
"""
from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from commons.accounts import audit, sessions
from commons.accounts.models import AuditEvent, AuditKind, Role, User
from commons.accounts.services import AccountError
from commons.extensions import db
from commons.text import fold

SEARCH_MAX = 200


class AccountState(enum.Enum):
    ACTIVE = "active"
    DEACTIVATED = "deactivated"
    NEVER_SIGNED_IN = "never_signed_in"

    @property
    def label(self) -> str:
        return str({AccountState.ACTIVE: _l("Actif"), AccountState.DEACTIVATED: _l("Désactivé"),
                    AccountState.NEVER_SIGNED_IN: _l("Jamais connecté·e")}[self])


def state_of(user: User) -> AccountState:
    if not user.is_enabled:
        return AccountState.DEACTIVATED
    return AccountState.NEVER_SIGNED_IN if user.last_login_at is None else AccountState.ACTIVE


def _state_condition(state: AccountState):
    if state is AccountState.DEACTIVATED:
        return User.is_enabled.is_(False)
    signed_in = User.last_login_at.is_not(None) if state is AccountState.ACTIVE else User.last_login_at.is_(None)
    return sa.and_(User.is_enabled.is_(True), signed_in)


# What `fold` does in Python, in SQL. SQLite calls `fold` itself (commons/database.py registers
# it); PostgreSQL has no unaccent without an extension, so translate() drops the accents of the
# letters of French and its neighbours, both cases (lower() may be ASCII-only under a C locale).
_ACCENTED = "àâäáãåçéèêëíìîïñóòôöõøúùûüýÿ"
_PLAIN = "aaaaaaceeeeiiiinoooooouuuuyy"
_LIGATURES = (("œ", "oe"), ("Œ", "oe"), ("æ", "ae"), ("Æ", "ae"))


def folded(column) -> sa.ColumnElement:
    """`column` lowercased and without accents, in SQL (the search compares it with `fold(term)`)."""
    if db.session.get_bind().dialect.name == "sqlite":
        return sa.func.commons_fold(column)
    expression = sa.func.translate(sa.func.lower(column), _ACCENTED + _ACCENTED.upper(), _PLAIN + _PLAIN)
    for ligature, plain in _LIGATURES:
        expression = sa.func.replace(expression, ligature, plain)
    return expression


@dataclass(frozen=True)
class AccountFilter:
    role: Role | None = None
    state: AccountState | None = None
    text: str = ""


def _accounts_query(filters: AccountFilter, columns) -> sa.Select:
    # editions sits above accounts: its table is named through the metadata, not imported.
    structures = db.metadata.tables["structures"]
    query = sa.select(*columns).select_from(User).outerjoin(structures, structures.c.id == User.structure_id)
    if filters.role is not None:
        query = query.where(User.role == filters.role)
    if filters.state is not None:
        query = query.where(_state_condition(filters.state))
    term = fold(filters.text[:SEARCH_MAX])
    if term:
        query = query.where(sa.or_(*(folded(c).contains(term, autoescape=True)
                                     for c in (User.display_name, User.email, structures.c.name))))
    return query


def count_accounts(filters: AccountFilter) -> int:
    return db.session.scalar(_accounts_query(filters, [sa.func.count(User.id)])) or 0


def list_accounts(filters: AccountFilter, *, limit: int, offset: int) -> list[User]:
    query = _accounts_query(filters, [User]).order_by(User.created_at.desc(), User.id.desc())
    return list(db.session.scalars(query.limit(limit).offset(offset)).unique())


def state_counts() -> dict[AccountState, int]:
    """How many accounts are in each state, all roles together (one query)."""
    cases = {state: sa.func.sum(sa.case((_state_condition(state), 1), else_=0)) for state in AccountState}
    row = db.session.execute(sa.select(*cases.values()).select_from(User)).one()
    return {state: int(value or 0) for state, value in zip(cases, row, strict=True)}


# --- actions on one account -----------------------------------------------------------------------

def _keep_an_admin(user: User) -> None:
    """Refuse to take `user` out of the active admins when no other one would remain.

    The other active admins' rows are locked (PostgreSQL) so that two admins demoting each
    other at the same moment cannot both succeed; SQLite serialises writers anyway."""
    if user.role is not Role.ADMIN or not user.is_enabled:
        return
    others = db.session.scalars(sa.select(User.id).where(User.role == Role.ADMIN, User.is_enabled.is_(True),
                                                         User.id != user.id).with_for_update()).all()
    if not others:
        raise AccountError(_("%(name)s est la dernière personne administratrice active : nommez d'abord "
                             "quelqu'un d'autre administrateur·rice. Rien n'a changé.", name=user.name))


def change_role(user: User, role: Role, *, admin: User, now: datetime) -> bool:
    """Give `user` the role `role`; False when they already held it (nothing written)."""
    if role is user.role:
        return False
    if role is not Role.ADMIN:
        _keep_an_admin(user)
    previous, user.role = user.role, role
    audit.record(AuditKind.ROLE_CHANGED, now=now, actor_id=admin.id, subject_id=user.id,
                 detail={"from": previous.value, "to": role.value})
    return True


def deactivate(user: User, *, admin: User, now: datetime, is_confirmed: bool) -> int | None:
    """Disable `user` and end every session they have (copied cookies included): the next request
    of any of their devices is anonymous. How many sessions ended; None when already disabled.
    The admin must have confirmed (a box to tick): one stray click would sign someone out everywhere."""
    if user.id == admin.id:
        raise AccountError(_("Vous ne pouvez pas désactiver votre propre compte : demandez-le à une autre "
                             "personne administratrice. Rien n'a changé."))
    if not user.is_enabled:
        return None
    if not is_confirmed:
        raise AccountError(_("Cochez la case de confirmation pour désactiver ce compte. Rien n'a changé."))
    _keep_an_admin(user)
    user.is_enabled = False
    ended = sessions.revoke_all(user, now)
    audit.record(AuditKind.ACCOUNT_DEACTIVATED, now=now, actor_id=admin.id, subject_id=user.id,
                 detail={"sessions_ended": ended})
    return ended


def reactivate(user: User, *, admin: User, now: datetime) -> bool:
    """Enable `user` again (they sign in afresh: their old sessions stay ended); False when enabled."""
    if user.is_enabled:
        return False
    user.is_enabled = True
    audit.record(AuditKind.ACCOUNT_REACTIVATED, now=now, actor_id=admin.id, subject_id=user.id)
    return True


def active_session_count(user: User, now: datetime, *, lifetime: timedelta, idle: timedelta) -> int:
    return len(sessions.active_sessions(user, now, lifetime=lifetime, idle=idle))


# --- the audit journal ----------------------------------------------------------------------------

@dataclass(frozen=True)
class JournalFilter:
    kind: AuditKind | None = None
    person_id: int | None = None  # as actor or as subject
    since_at: datetime | None = None  # naive UTC, included
    before_at: datetime | None = None  # naive UTC, excluded


def day_bounds(since: date | None, until: date | None, zone: str) -> tuple[datetime | None, datetime | None]:
    """The naive-UTC instants that start `since` and end `until` (both included) in `zone`: an admin
    asking for "28 November" means the day in Paris, not in UTC."""
    tz = ZoneInfo(zone)

    def start_of(day: date) -> datetime:
        return datetime.combine(day, time(), tzinfo=tz).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)

    return (start_of(since) if since else None, start_of(until + timedelta(days=1)) if until else None)


def _journal_query(filters: JournalFilter, columns) -> sa.Select:
    query = sa.select(*columns).select_from(AuditEvent)
    if filters.kind is not None:
        query = query.where(AuditEvent.kind == filters.kind)
    if filters.person_id is not None:
        query = query.where(sa.or_(AuditEvent.actor_id == filters.person_id,
                                   AuditEvent.subject_id == filters.person_id))
    if filters.since_at is not None:
        query = query.where(AuditEvent.created_at >= filters.since_at)
    if filters.before_at is not None:
        query = query.where(AuditEvent.created_at < filters.before_at)
    return query


def count_events(filters: JournalFilter) -> int:
    return db.session.scalar(_journal_query(filters, [sa.func.count(AuditEvent.id)])) or 0


def list_events(filters: JournalFilter, *, limit: int, offset: int) -> list[AuditEvent]:
    query = _journal_query(filters, [AuditEvent]).order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    return list(db.session.scalars(query.limit(limit).offset(offset)))


def people_of(events: list[AuditEvent]) -> dict[int, User]:
    """The accounts the events name, by id, in one query (not one per row)."""
    ids = {i for e in events for i in (e.actor_id, e.subject_id) if i is not None}
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(ids))).unique()}


# Names of the detail keys the services write; any other key is shown as stored.
_DETAIL_LABELS = {
    "from": _l("avant"), "to": _l("après"), "sessions_ended": _l("sessions fermées"), "count": _l("nombre"),
    "scope": _l("portée"), "reason": _l("raison"), "until": _l("jusqu'à"), "role": _l("rôle"),
    "asked": _l("rôle demandé"), "request": _l("demande n°"), "remembered": _l("rester connecté·e"),
    "via": _l("par"), "mode": _l("mode"), "workshop": _l("atelier"), "workshop_id": _l("atelier n°"),
    "action": _l("action"),
}


def detail_items(event: AuditEvent) -> list[tuple[str, str]]:
    """The event's detail as (label, value) pairs; the stored text as is when it is not a JSON object."""
    if not event.detail:
        return []
    try:
        data = json.loads(event.detail)
    except ValueError:
        return [("", event.detail)]
    if not isinstance(data, dict):
        return [("", event.detail)]
    return [(str(_DETAIL_LABELS.get(key, key)), _detail_value(key, value)) for key, value in data.items()]


def _detail_value(key: str, value) -> str:
    if key in _ROLE_KEYS and value in {r.value for r in Role}:
        return Role(value).label
    if isinstance(value, bool):
        return _("oui") if value else _("non")
    return str(value)


_ROLE_KEYS = frozenset({"from", "to", "role", "asked"})
