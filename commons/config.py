"""Configuration: defaults overridden by the environment, then by `test_config`."""
from __future__ import annotations

import logging
import os
import secrets
from datetime import timedelta
from pathlib import Path

log = logging.getLogger(__name__)


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever spelling the operator used.

    Hosting platforms hand out `postgres://` or `postgresql://`; SQLAlchemy would pick
    psycopg2 for those, which we do not install.
    """
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load_secret_key(instance_path: str) -> str:
    """Return a key shared by every worker process of this instance.

    Created once with O_EXCL so that concurrent workers starting together all end up
    reading the same key instead of each signing sessions with its own.
    """
    path = Path(instance_path) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
        log.warning(
            "SECRET_KEY n'est pas défini : une clé aléatoire a été créée dans %s. "
            "Définissez SECRET_KEY en production.", path,
        )
    for _ in range(50):  # another worker may be between create and write
        key = path.read_text().strip()
        if key:
            return key
        import time

        time.sleep(0.02)
    raise RuntimeError(f"clé secrète vide dans {path}")


JOIN_DEFAULTS = {
    # Who may get an account (commons/accounts/signup.py): "open", "approval" or "closed".
    "SIGNUP_MODE": "approval",
    # Sign-up requests per client address, and reset requests per address and per email, in
    # the sign-in throttle's store: a lock after the limit, for the window, doubling after.
    "SIGNUP_ADDRESS_LIMIT": 5,
    "RESET_ACCOUNT_LIMIT": 3,
    "RESET_ADDRESS_LIMIT": 10,
    "REQUEST_WINDOW_SECONDS": 3600,
    # Answers to a participants' questionnaire per client address in that window
    # (commons/feedback): generous, since a room answering on the venue's Wi-Fi shares one address.
    "FEEDBACK_ADDRESS_LIMIT": 60,
    # Outgoing mail (commons/accounts/mail.py); without MAIL_SERVER, admins see the links to
    # pass on at /admin/liens.
    "MAIL_SERVER": None,
    "MAIL_PORT": 25,
    "MAIL_USE_TLS": False,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_FROM": "communs@localhost",
    # After a temporary failure, the waits before trying again (commons/accounts/mail.py).
    "MAIL_RETRY_SECONDS": (10, 60, 300),
}


# Sign-in throttling (commons/accounts/throttle.py): failures per window, then a lock that
# doubles with each further failure, up to the cap.
THROTTLE_DEFAULTS = {
    "THROTTLE_ACCOUNT_LIMIT": 5,
    "THROTTLE_ADDRESS_LIMIT": 20,
    "THROTTLE_WINDOW_SECONDS": 15 * 60,
    "THROTTLE_LOCK_SECONDS": 60,
    "THROTTLE_LOCK_MAX_SECONDS": 24 * 3600,
}


def defaults(instance_path: str) -> dict:
    """What every app starts from, the test apps included; the environment overrides some."""
    return {
        "SQLALCHEMY_DATABASE_URI": "sqlite:///" + os.path.join(instance_path, "commons.db"),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "COMMONS_INDEX_DIR": os.path.join(instance_path, "index"),
        # Documents the workshops shared (commons/resources/storage.py): back it up with the database.
        "UPLOADS_DIR": os.path.join(instance_path, "uploads"),
        # Anonymous pages shared by the host's worker processes (commons/pagestore.py); 0 MB: none.
        "PAGE_CACHE_DIR": os.path.join(instance_path, "pages"), "PAGE_CACHE_SHARED_MB": 256,
        "BABEL_DEFAULT_LOCALE": "fr",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Paris",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # None: Secure unless COMMONS_ENV is "development" or the app is TESTING (commons/accounts).
        "SESSION_COOKIE_SECURE": None,
        "REMEMBER_COOKIE_SECURE": None,
        "COMMONS_ENV": "production",
        "REMEMBER_COOKIE_DURATION": timedelta(days=30),
        # A session without "remember me" ends after this long without a request.
        "SESSION_IDLE": timedelta(hours=12),
        # A shared store for the throttle counters; unset: the database.
        "REDIS_URL": None,
        "REDIS_KEY_PREFIX": "commons:",
        "AUDIT_RETENTION_DAYS": 365,
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        "WTF_CSRF_TIME_LIMIT": None,
        "ENTRIES_PER_PAGE": 50,
        # The public address, for absolute links (API, feeds): never taken from a request's Host.
        "COMMONS_BASE_URL": "http://127.0.0.1:5000",
        # How many reverse proxies set X-Forwarded-For/Proto/Host in front of the app (0: trust none).
        "COMMONS_PROXY_COUNT": 0,
        **JOIN_DEFAULTS,
        **THROTTLE_DEFAULTS,
    }


def from_environment(instance_path: str) -> dict:
    env = os.environ
    config = defaults(instance_path)
    config.update({
        "SECRET_KEY": env.get("SECRET_KEY") or load_secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(env.get("DATABASE_URL") or config["SQLALCHEMY_DATABASE_URI"]),
        "COMMONS_INDEX_DIR": env.get("COMMONS_INDEX_DIR") or config["COMMONS_INDEX_DIR"],
        "UPLOADS_DIR": env.get("UPLOADS_DIR") or config["UPLOADS_DIR"],
        "COMMONS_BASE_URL": env.get("COMMONS_BASE_URL") or config["COMMONS_BASE_URL"],
        "COMMONS_PROXY_COUNT": int(env.get("COMMONS_PROXY_COUNT") or 0),
    })
    if env.get("COMMONS_ENV"):  # "development": cookies without Secure, for plain http on 127.0.0.1
        config["COMMONS_ENV"] = env["COMMONS_ENV"]
    if env.get("COMMONS_REMEMBER_DAYS"):
        config["REMEMBER_COOKIE_DURATION"] = timedelta(days=float(env["COMMONS_REMEMBER_DAYS"]))
    if env.get("REDIS_URL"):
        config["REDIS_URL"] = env["REDIS_URL"]
    config.update(_mail_from_environment(env))
    if env.get("COMMONS_SIGNUP_MODE"):
        config["SIGNUP_MODE"] = env["COMMONS_SIGNUP_MODE"]
    if env.get("AUDIT_RETENTION_DAYS"):
        config["AUDIT_RETENTION_DAYS"] = int(env["AUDIT_RETENTION_DAYS"])
    if env.get("PAGE_CACHE_MB"):  # pages kept for anonymous readers, per process (0: none)
        config["PAGE_CACHE_MB"] = float(env["PAGE_CACHE_MB"])
    if env.get("PAGE_CACHE_SHARED_MB"):  # the same pages shared by a host's workers, as files (0: none)
        config["PAGE_CACHE_SHARED_MB"] = float(env["PAGE_CACHE_SHARED_MB"])
    if env.get("PAGE_CACHE_DIR"):
        config["PAGE_CACHE_DIR"] = env["PAGE_CACHE_DIR"]
    if env.get("SEARCH_APPLIER"):  # thread (default), worker or inline: see commons/search/applier.py
        config["SEARCH_APPLIER"] = env["SEARCH_APPLIER"]
    return config


def _mail_from_environment(env) -> dict:
    found: dict = {key: env[key] for key in ("MAIL_SERVER", "MAIL_USERNAME", "MAIL_PASSWORD", "MAIL_FROM")
                   if env.get(key)}
    if env.get("MAIL_PORT"):
        found["MAIL_PORT"] = int(env["MAIL_PORT"])
    if env.get("MAIL_USE_TLS"):
        found["MAIL_USE_TLS"] = env["MAIL_USE_TLS"].strip().lower() in {"1", "true", "yes", "on"}
    return found
