"""Sign-in throttling, per account and per client address, in a store every worker shares.

Failures are counted per key in a window (15 minutes by default). At the limit (5 for an
account, 20 for an address) the key is locked for THROTTLE_LOCK_SECONDS, doubled by every
further failure up to THROTTLE_LOCK_MAX_SECONDS; after a lock the window starts again when the
lock ends, so that a patient attacker meets longer and longer locks. A successful sign-in clears
the account's count, never the address's (one real account must not reset an attacker's count).

Keys are HMACs of the typed address (lowercased) and of the client address: the store holds no
email or IP, and an email with no account is counted and locked exactly like a real one, so the
throttle tells nothing about which accounts exist.

Stores: the database (table `throttle_counters`, written on its own short transaction: a refused
sign-in rolls its request back, and the count must stay), or Redis when REDIS_URL is set.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from commons.accounts.models import ThrottleCounter
from commons.extensions import db

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limit:
    key: str
    limit: int
    window: timedelta
    lock: timedelta
    lock_max: timedelta

    def lock_for(self, count: int) -> timedelta:
        doublings = min(count - self.limit, 30)
        return min(self.lock * 2**doublings, self.lock_max)


def _digest(secret: str, text: str) -> str:
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()[:40]


def limits_for(email: str, address: str | None, config: Mapping) -> list[Limit]:
    """The account's limit first, then the address's (when the request has one)."""
    window = timedelta(seconds=config["THROTTLE_WINDOW_SECONDS"])
    lock = timedelta(seconds=config["THROTTLE_LOCK_SECONDS"])
    lock_max = timedelta(seconds=config["THROTTLE_LOCK_MAX_SECONDS"])
    secret = config["SECRET_KEY"]
    limits = [Limit("account:" + _digest(secret, email.strip().lower()), config["THROTTLE_ACCOUNT_LIMIT"],
                    window, lock, lock_max)]
    if address:
        limits.append(Limit("address:" + _digest(secret, address), config["THROTTLE_ADDRESS_LIMIT"],
                            window, lock, lock_max))
    return limits


def request_limits(kind: str, values: list[tuple[str, str, int]], config: Mapping) -> list[Limit]:
    """Limits on requests other than sign-in (sign-up, password reset): one per (name, value,
    limit), e.g. ("address", "203.0.113.9", 5), keyed apart from the sign-in counts, counted in
    REQUEST_WINDOW_SECONDS and locked for as long, doubling after."""
    window = timedelta(seconds=config["REQUEST_WINDOW_SECONDS"])
    lock_max = timedelta(seconds=config["THROTTLE_LOCK_MAX_SECONDS"])
    return [Limit(f"{kind}-{name}:" + _digest(config["SECRET_KEY"], value.strip().lower()), limit, window, window,
                  lock_max) for name, value, limit in values if value]


def count_request(store: Store, limits: list[Limit], now: datetime) -> datetime | None:
    """A request that throttles even when it succeeds: refused (its lock's end) while locked,
    else counted (the request that reaches the limit still goes through; the next one waits)."""
    until = locked_until(store, limits, now)
    if until is None:
        fail(store, limits, now)
    return until


class Store(Protocol):
    def locked_until(self, keys: list[str], now: datetime) -> datetime | None: ...

    def fail(self, limit: Limit, now: datetime) -> datetime | None: ...

    def clear(self, key: str) -> None: ...


def locked_until(store: Store, limits: list[Limit], now: datetime) -> datetime | None:
    return store.locked_until([limit.key for limit in limits], now)


def fail(store: Store, limits: list[Limit], now: datetime) -> datetime | None:
    """Count a failure on every key; the latest lock it caused, if any."""
    locks = [until for limit in limits if (until := store.fail(limit, now)) is not None]
    return max(locks, default=None)


class DatabaseStore:
    table = ThrottleCounter.__table__

    def locked_until(self, keys: list[str], now: datetime) -> datetime | None:
        t = self.table
        with db.engine.connect() as connection:
            return connection.scalar(sa.select(sa.func.max(t.c.locked_until))
                                     .where(t.c.key.in_(keys), t.c.locked_until > now))

    def fail(self, limit: Limit, now: datetime) -> datetime | None:
        t = self.table
        stale = t.c.window_started_at < now - limit.window
        with db.engine.begin() as connection:
            insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
            connection.execute(insert(t).values(key=limit.key, count=0, window_started_at=now)
                               .on_conflict_do_nothing(index_elements=["key"]))
            # One UPDATE reads and writes the count: two workers failing together both count.
            count = connection.scalar(sa.update(t).where(t.c.key == limit.key).values(
                count=sa.case((stale, 1), else_=t.c.count + 1),
                window_started_at=sa.case((stale, now), else_=t.c.window_started_at),
            ).returning(t.c.count))
            if count < limit.limit:
                return None
            until = now + limit.lock_for(count)
            connection.execute(sa.update(t).where(t.c.key == limit.key)
                               .values(locked_until=until, window_started_at=until))
            return until

    def clear(self, key: str) -> None:
        with db.engine.begin() as connection:
            connection.execute(sa.delete(self.table).where(self.table.c.key == key))

    def prune(self, now: datetime, window: timedelta) -> int:
        """Forget the counts whose window and lock are long over (Redis expires its own)."""
        t = self.table
        with db.engine.begin() as connection:
            result = connection.execute(sa.delete(t).where(
                t.c.window_started_at < now - window, sa.or_(t.c.locked_until.is_(None), t.c.locked_until < now)))
            return result.rowcount or 0


# Atomic in Redis: read the count, restart a stale window, count one more failure.
_FAIL_SCRIPT = """
local now = tonumber(ARGV[1])
local count = tonumber(redis.call('HGET', KEYS[1], 'count') or '0')
local start = tonumber(redis.call('HGET', KEYS[1], 'start') or ARGV[1])
if start < now - tonumber(ARGV[2]) then count = 0; start = now end
count = count + 1
redis.call('HSET', KEYS[1], 'count', count, 'start', tostring(start))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return count
"""


def _epoch(moment: datetime) -> float:
    return moment.replace(tzinfo=UTC).timestamp()


def _from_epoch(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC).replace(tzinfo=None)


class RedisStore:
    def __init__(self, url: str, prefix: str):
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        # One immediate retry (a dropped pooled connection), not redis-py's default ten with
        # back-off: while Redis is down, each call would wait seconds before the database stands in.
        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2,
                                           retry=Retry(NoBackoff(), 1))
        self.prefix = prefix + "throttle:"
        self._fail = self.client.register_script(_FAIL_SCRIPT)

    def locked_until(self, keys: list[str], now: datetime) -> datetime | None:
        values = [self.client.hget(self.prefix + key, "locked") for key in keys]
        locks = [_from_epoch(float(v)) for v in values if v is not None and float(v) > _epoch(now)]
        return max(locks, default=None)

    def fail(self, limit: Limit, now: datetime) -> datetime | None:
        key = self.prefix + limit.key
        ttl = int((limit.window + limit.lock_max).total_seconds()) + 60
        count = int(self._fail(keys=[key], args=[_epoch(now), limit.window.total_seconds(), ttl]))
        if count < limit.limit:
            return None
        until = now + limit.lock_for(count)
        self.client.hset(key, mapping={"locked": _epoch(until), "start": _epoch(until)})
        return until

    def clear(self, key: str) -> None:
        self.client.delete(self.prefix + key)

    def prune(self, now: datetime, window: timedelta) -> int:
        return 0  # keys expire by themselves

    def close(self) -> None:
        self.client.close()


class FallbackStore:
    """Redis, or the database for a call Redis cannot answer: a Redis outage must not turn
    sign-in into a 500. The counts of an outage live in the database, and a lock made there
    still holds once Redis is back (this process then asks both stores); the warning is logged
    once per outage, not per request."""

    def __init__(self, primary: RedisStore, fallback: DatabaseStore):
        self.primary, self.fallback = primary, fallback
        self.is_down = False
        self.has_fallback_counts = False  # this process counted in the database during an outage

    def _call(self, name: str, *args):
        import redis

        try:
            result = getattr(self.primary, name)(*args)
        except redis.RedisError as exc:
            if not self.is_down:
                log.warning("Redis injoignable pour le limiteur de connexion (%s) : compteurs dans la base "
                            "de données en attendant.", exc)
                self.is_down = True
            self.has_fallback_counts = self.has_fallback_counts or name == "fail"
            return getattr(self.fallback, name)(*args)
        if self.is_down:
            log.warning("Redis de nouveau joignable : compteurs du limiteur de connexion dans Redis.")
            self.is_down = False
        return result

    def locked_until(self, keys: list[str], now: datetime) -> datetime | None:
        here = self._call("locked_until", keys, now)
        # Counts made during an outage stay in the database: their locks still hold after it.
        there = self.fallback.locked_until(keys, now) if self.has_fallback_counts and not self.is_down else None
        return max((t for t in (here, there) if t is not None), default=None)

    def fail(self, limit: Limit, now: datetime) -> datetime | None:
        return self._call("fail", limit, now)

    def clear(self, key: str) -> None:
        self._call("clear", key)
        self.fallback.clear(key)

    def prune(self, now: datetime, window: timedelta) -> int:
        return self.fallback.prune(now, window)

    def close(self) -> None:
        self.primary.close()


def store_for(extensions: dict, config: Mapping) -> Store:
    """The app's store, made once: Redis (the database standing in when it is unreachable) when
    REDIS_URL is set, else the database."""
    store = extensions.get("commons.throttle")
    if store is None:
        url = config.get("REDIS_URL")
        store = FallbackStore(RedisStore(url, config["REDIS_KEY_PREFIX"]), DatabaseStore()) if url else DatabaseStore()
        extensions["commons.throttle"] = store
    return store
