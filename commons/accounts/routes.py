from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from commons.accounts import bp
from commons.accounts.forms import LoginForm
from commons.accounts.services import authenticate


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an open redirect would let a phishing link borrow our domain.
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("editions.home")


@bp.route("/connexion", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is None:
            form.password.errors.append(_("Adresse ou mot de passe incorrect."))
            return render_template("accounts/login.html", form=form), 422
        login_user(user, remember=form.remember.data)
        flash(_("Vous êtes connecté·e."), "success")
        return redirect(_safe_next(form.next.data))
    status = 422 if form.is_submitted() else 200
    return render_template("accounts/login.html", form=form), status


@bp.route("/deconnexion", methods=["POST"])
def logout():
    logout_user()
    flash(_("Vous êtes déconnecté·e."), "success")
    return redirect(url_for("editions.home"))
