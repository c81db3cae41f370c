from urllib.parse import urlsplit

from flask import abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from commons.accounts import audit, bp, clock, services, sessions, throttle
from commons.accounts.forms import LoginForm
from commons.accounts.signin import attempt_sign_in
from commons.database import parse_int


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an open redirect would let a phishing link borrow our domain.
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("editions.home")


def _address_hash() -> str:
    return audit.hash_address(request.remote_addr, current_app.config["SECRET_KEY"])


def _session_limits() -> dict:
    config = current_app.config
    return {"lifetime": config["REMEMBER_COOKIE_DURATION"], "idle": config["SESSION_IDLE"]}


@bp.route("/connexion", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm(next=request.args.get("next", ""))
    if not form.validate_on_submit():
        return render_template("accounts/login.html", form=form), 422 if form.is_submitted() else 200
    now = clock.now()
    attempt = attempt_sign_in(form.email.data, form.password.data, address=request.remote_addr,
                              user_agent=request.user_agent.string, is_remembered=bool(form.remember.data),
                              now=now, config=current_app.config,
                              store=throttle.store_for(current_app.extensions, current_app.config))
    if attempt.user is None:
        return _refused(form, attempt.locked_until, now)
    # A new session: nothing planted before sign-in (a CSRF secret, any key) survives it.
    session.clear()
    g.pop("csrf_token", None)
    login_user(attempt.user, remember=bool(form.remember.data))
    flash(_("Vous êtes connecté·e."), "success")
    return redirect(_safe_next(form.next.data))


def _refused(form: LoginForm, locked_until, now):
    if locked_until is None:
        form.password.errors.append(_("Adresse ou mot de passe incorrect."))
        return render_template("accounts/login.html", form=form), 422
    minutes = max(1, -(-int((locked_until - now).total_seconds()) // 60))
    form.password.errors.append(_(
        "Trop de tentatives de connexion : par sécurité, la connexion est suspendue. Réessayez à partir de "
        "%(time)s (dans %(minutes)s min).", time=format_datetime(locked_until, "HH:mm"), minutes=minutes))
    retry = str(max(1, int((locked_until - now).total_seconds())))
    return render_template("accounts/login.html", form=form), 429, {"Retry-After": retry}


def _end_browser_session() -> None:
    session.clear()
    logout_user()  # after clear: it asks for the remember-me cookie to be deleted


@bp.route("/deconnexion", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        services.sign_out(current_user._get_current_object(), now=clock.now(), address_hash=_address_hash())
    _end_browser_session()
    flash(_("Vous êtes déconnecté·e."), "success")
    return redirect(url_for("editions.home"))


@bp.route("/compte/sessions")
@login_required
def sessions_page():
    records = sessions.active_sessions(current_user, clock.now(), **_session_limits())
    return render_template("accounts/sessions.html", records=records,
                           current_id=current_user.session_record_id)


@bp.route("/compte/sessions/<int:record_id>/fermer", methods=["POST"])
@login_required
def revoke_session(record_id: int):
    user = current_user._get_current_object()
    if parse_int(str(record_id)) is None or not services.end_sessions(user, now=clock.now(), record_id=record_id,
                                                                      address_hash=_address_hash()):
        abort(404)
    if record_id == user.session_record_id:
        _end_browser_session()
        flash(_("Cette session est fermée : vous êtes déconnecté·e."), "success")
        return redirect(url_for("editions.home"))
    flash(_("La session est fermée : cet appareil devra se reconnecter."), "success")
    return redirect(url_for("accounts.sessions_page"))


@bp.route("/compte/sessions/fermer-toutes", methods=["POST"])
@login_required
def revoke_all():
    services.end_sessions(current_user._get_current_object(), now=clock.now(), address_hash=_address_hash())
    _end_browser_session()
    flash(_("Toutes vos sessions sont fermées : vous êtes déconnecté·e partout."), "success")
    return redirect(url_for("editions.home"))
