"""What every page shares: template filters, error pages, security headers."""
from __future__ import annotations

from datetime import datetime

from flask import Flask, current_app, jsonify, render_template, request, session, url_for
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from commons.kinds import EntryKind
from commons.text import clip, render_markdown

# Everything is served from this host: the policy makes a stray external asset fail loudly.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def format_clock(value: datetime | None) -> str:
    """9h45, 15h — how a French programme writes a time."""
    if value is None:
        return ""
    return f"{value.hour}h{value.minute:02d}" if value.minute else f"{value.hour}h"


def wants_json() -> bool:
    return request.path.startswith("/api/")


def external_url(endpoint: str, **values) -> str:
    """An absolute address for another tool (the API, feeds): the configured public base URL
    plus the route, never the request's Host header, which any client can set."""
    return current_app.config["COMMONS_BASE_URL"].rstrip("/") + url_for(endpoint, **values)


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        markdown=render_markdown,
        clip=clip,
        clock=format_clock,
        date=lambda v, fmt="long": format_date(v, fmt) if v else "",
        datetime=lambda v, fmt="medium": format_datetime(v, fmt) if v else "",
    )
    app.jinja_env.globals.update(all_kinds=list(EntryKind))
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    if app.config.get("COMMONS_PROXY_COUNT"):
        # Behind N reverse proxies that set X-Forwarded-*: trust exactly those, no more.
        count = int(app.config["COMMONS_PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
    app.after_request(security_headers)
    app.after_request(conditional_get)
    register_error_pages(app)
    from commons import pagecache

    pagecache.init_app(app)  # after conditional_get: its hook runs before, on the whole page


def security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def conditional_get(response):
    """Anonymous readers revalidate pages with an ETag (a hash of the page) and get a bodiless
    304 when nothing changed. `no-cache` makes browsers ask every time, so an edit shows at
    once; signed-in pages carry the person's name and forms, and are not shared."""
    if request.method != "GET" or response.status_code != 200 or response.direct_passthrough:
        return response
    if request.path.startswith("/static/") or session.get("_user_id") is not None:
        return response
    response.cache_control.no_cache = True
    response.add_etag()
    return response.make_conditional(request)


_MESSAGES = {
    400: _l("Requête invalide"),
    403: _l("Accès refusé"),
    404: _l("Page introuvable"),
    405: _l("Méthode non autorisée"),
    409: _l("Conflit de modification"),
    413: _l("Envoi trop volumineux"),
    422: _l("Données invalides"),
    500: _l("Erreur interne"),
}


def render_error(code: int, detail: str | None = None):
    title = str(_MESSAGES.get(code, _("Erreur")))
    if wants_json():
        return jsonify({"error": {"code": code, "message": detail or title}}), code
    return render_template("errors/error.html", code=code, title=title, detail=detail), code


def register_error_pages(app: Flask) -> None:
    from commons.extensions import db

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400, _("Le formulaire a expiré ou n'est pas valide. Rechargez la page et réessayez."))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        detail = error.description if getattr(error, "commons_detail", False) else None
        return render_error(error.code or 500, detail)

    @app.errorhandler(StaleDataError)
    def lost_race(error):
        # A version check failed at flush: another request changed the same row first.
        db.session.rollback()
        return render_error(409, _("Quelqu'un a modifié ces données en même temps que vous : rien n'a été "
                                   "enregistré. Rechargez la page et recommencez."))

    @app.errorhandler(500)
    def internal_error(error):
        db.session.rollback()
        return render_error(500)


def keep_form_bytes() -> None:
    """Cache a url-encoded body before CSRFProtect parses it.

    Form parsing consumes the stream; the entry forms re-read the raw bytes to refuse
    %XX escapes that are not UTF-8 (Werkzeug would keep them as literal "%E9" text).
    Bounded by MAX_CONTENT_LENGTH.
    """
    if request.method == "POST" and request.mimetype == "application/x-www-form-urlencoded":
        request.get_data(cache=True)


def abort_with(code: int, message: str):
    """Abort with a French message shown on the error page (or in the JSON error)."""
    from werkzeug.exceptions import default_exceptions

    exc = default_exceptions[code](description=message)
    exc.commons_detail = True
    raise exc
