"""The outbox as the index sees it: which rows a folder has applied (a watermark plus the ids
it saw missing), what is still pending, and the writer's own newest row."""
from __future__ import annotations

import time
from datetime import timedelta

import sqlalchemy as sa
from flask import has_request_context
from flask import session as flask_session

from commons.models import utcnow
from commons.search.models import SearchOutbox
from commons.search.store import OutboxState

outbox = SearchOutbox.__table__
GAPS_MAX = 10_000
REBUILD_GAP_SCAN = 5000


def own_writes() -> int | None:
    """The newest outbox id written by this reader's own saves (kept in their session by the
    commit hook), so that their search shows what they just saved, whichever worker answers."""
    from commons.search.hooks import SEEN_KEY

    value = flask_session.get(SEEN_KEY) if has_request_context() else None
    return value if isinstance(value, int) else None


def covers(state: OutboxState, outbox_id: int) -> bool:
    return outbox_id <= state.watermark and outbox_id not in state.gaps


def pending_exists(conn: sa.Connection, state: OutboxState) -> bool:
    cond = outbox.c.id > state.watermark
    if state.gaps:
        cond = sa.or_(cond, outbox.c.id.in_(list(state.gaps)))
    return conn.execute(sa.select(outbox.c.id).where(cond).limit(1)).first() is not None


def advance(state: OutboxState, seen: list[int], now: float, gap_seconds: float, full: bool) -> OutboxState:
    """The state after applying the rows `seen` (sorted by id)."""
    seen_set = set(seen)
    top = max([state.watermark, *seen])
    gaps = {g: t for g, t in state.gaps.items() if g not in seen_set and now - t < gap_seconds}
    missing = (i for i in range(state.watermark + 1, top) if i not in seen_set)
    for i in missing:
        gaps[i] = now
        if len(gaps) > GAPS_MAX:  # keep the newest: old gaps are rolled-back inserts
            for old in sorted(gaps)[: len(gaps) - GAPS_MAX]:
                del gaps[old]
    return OutboxState(state.schema, top, gaps, state.synced_at if full else now)


def initial_state(conn: sa.Connection) -> OutboxState:
    """State of a folder built from a snapshot taken now: ids up to the current maximum are
    covered by the snapshot, except recent ones not yet visible (transactions in flight)."""
    top = conn.execute(sa.select(sa.func.max(outbox.c.id))).scalar() or 0
    low = max(0, top - REBUILD_GAP_SCAN)
    present = set(conn.execute(sa.select(outbox.c.id).where(outbox.c.id > low)).scalars())
    now = time.time()
    return OutboxState(watermark=top, gaps={i: now for i in range(low + 1, top) if i not in present})


def prune(conn: sa.Connection, retention_days: float) -> int:
    """Delete outbox rows older than the retention, always keeping the newest row: on
    SQLite an emptied table would hand out ids from 1 again, below every watermark."""
    cutoff = utcnow() - timedelta(days=retention_days)
    newest = sa.select(sa.func.max(outbox.c.id)).scalar_subquery()
    result = conn.execute(outbox.delete().where(outbox.c.created_at < cutoff, outbox.c.id < newest))
    conn.commit()
    return result.rowcount or 0
