"""Server-side session records: one per signed-in device, each one revocable.

Chosen over a per-account session version because people must see their active sessions
(device, last seen) and end one of them, which a single version number cannot express.

The browser keeps "<user id>:<token>" (Flask-Login's alternative id, in the session cookie and
the remember-me cookie); the database keeps the token's SHA-256 only, so a leak of the table
signs no one in. A request is signed in only while its record exists, is not revoked, has not
expired and its account is enabled: revoking the record ends every copy of both cookies.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from commons.accounts.models import User, UserSession
from commons.database import get_by_id, parse_int
from commons.extensions import db

# last_seen_at is written at most this often, and not through the ORM session: every ORM
# writing transaction bumps the data generation of the anonymous page cache
# (commons/pagecache.py), and one per signed-in request would empty it all day long.
TOUCH_EVERY = timedelta(minutes=5)

_BROWSERS = [("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chromium/", "Chromium"),
             ("Chrome/", "Chrome"), ("Safari/", "Safari")]
_SYSTEMS = [("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iPadOS"), ("CrOS", "ChromeOS"),
            ("Windows", "Windows"), ("Mac OS X", "macOS"), ("Linux", "Linux")]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def describe_device(user_agent: str | None) -> str:
    """"Firefox · Linux": enough to recognise one's own devices; the full string is not kept."""
    text = user_agent or ""
    browser = next((name for marker, name in _BROWSERS if marker in text), "")
    system = next((name for marker, name in _SYSTEMS if marker in text), "")
    return " · ".join(part for part in (browser, system) if part)


def open_session(user: User, *, user_agent: str | None, is_remembered: bool, now: datetime) -> str:
    """Record a new signed-in device for `user`; the token goes to the browser, only its hash is stored."""
    token = secrets.token_urlsafe(32)
    record = UserSession(user_id=user.id, token_hash=hash_token(token), created_at=now, last_seen_at=now,
                         user_agent=describe_device(user_agent), is_remembered=is_remembered)
    db.session.add(record)
    db.session.flush()
    user.session_token, user.session_record_id = token, record.id
    return token


def is_valid(record: UserSession, now: datetime, *, lifetime: timedelta, idle: timedelta) -> bool:
    """Not revoked, younger than the remember-me lifetime, and (unless remembered) used recently."""
    if record.revoked_at is not None or record.created_at + lifetime <= now:
        return False
    return record.is_remembered or record.last_seen_at + idle > now


_ALT_ID = re.compile(r"^(\d{1,10}):([A-Za-z0-9_-]{20,100})$")


def load_user(alt_id: str, *, now: datetime, lifetime: timedelta, idle: timedelta) -> User | None:
    """The account behind a session id from a cookie, or None when its record no longer allows it."""
    match = _ALT_ID.match(alt_id or "")
    user_id = parse_int(match.group(1)) if match else None
    if user_id is None:
        return None
    token = match.group(2)
    record = db.session.scalar(sa.select(UserSession).where(UserSession.token_hash == hash_token(token)))
    if record is None or record.user_id != user_id or not is_valid(record, now, lifetime=lifetime, idle=idle):
        return None
    user = get_by_id(User, user_id)
    if user is None or not user.is_enabled:
        return None
    user.session_token, user.session_record_id = token, record.id
    if now - record.last_seen_at >= TOUCH_EVERY:
        _touch(record, now)
    return user


def _touch(record: UserSession, now: datetime) -> None:
    with db.engine.begin() as connection:
        connection.execute(sa.update(UserSession.__table__).where(UserSession.__table__.c.id == record.id)
                           .values(last_seen_at=now))
    set_committed_value(record, "last_seen_at", now)


def active_sessions(user: User, now: datetime, *, lifetime: timedelta, idle: timedelta) -> list[UserSession]:
    records = db.session.scalars(sa.select(UserSession).where(UserSession.user_id == user.id,
                                                              UserSession.revoked_at.is_(None))
                                 .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc()))
    return [r for r in records if is_valid(r, now, lifetime=lifetime, idle=idle)]


def revoke(user: User, record_id: int, now: datetime) -> bool:
    """End one of `user`'s sessions; False when it is not theirs or already ended."""
    result = db.session.execute(
        sa.update(UserSession).where(UserSession.id == record_id, UserSession.user_id == user.id,
                                     UserSession.revoked_at.is_(None))
        .values(revoked_at=now))
    return result.rowcount == 1


def revoke_all(user: User, now: datetime, *, except_id: int | None = None) -> int:
    """End every session of `user` (but `except_id`, the one asking, when given); how many ended."""
    condition = [UserSession.user_id == user.id, UserSession.revoked_at.is_(None)]
    if except_id is not None:
        condition.append(UserSession.id != except_id)
    result = db.session.execute(sa.update(UserSession).where(*condition).values(revoked_at=now))
    return result.rowcount or 0
