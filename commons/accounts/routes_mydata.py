"""My data (RGPD): download it (/compte/donnees), delete the account (/compte/supprimer), and the
privacy page that says what is kept, why and how long (/confidentialite)."""
from __future__ import annotations

import json

from flask import Response, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, logout_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField
from wtforms.validators import DataRequired

from commons.accounts import bp, context, mydata
from commons.accounts.routes_profile import _current_password_refused


class DeleteAccountForm(FlaskForm):
    password = PasswordField(_l("Mot de passe actuel"), validators=[
        DataRequired(_l("Indiquez votre mot de passe actuel."))])
    keep_structure = BooleanField(_l("Laisser le nom de ma structure sur mes contributions"))
    confirm = BooleanField(_l("Je comprends que mon compte sera supprimé définitivement"), validators=[
        DataRequired(_l("Cochez cette case pour confirmer la suppression."))])


@bp.route("/compte/donnees")
@login_required
def my_data():
    data = mydata.export(current_user._get_current_object(), context.now())
    body = json.dumps(data, ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": 'attachment; filename="mes-donnees-communs.json"'})


@bp.route("/compte/supprimer", methods=["GET", "POST"])
@login_required
def delete_account():
    form = DeleteAccountForm()
    if not form.validate_on_submit():
        return render_template("accounts/delete_account.html", form=form), 422 if form.is_submitted() else 200
    user = current_user._get_current_object()
    refusal = _current_password_refused(user, form.password.data, form.password)
    if refusal is not None:
        message, headers = refusal
        return render_template("accounts/delete_account.html", form=form), 429 if headers else 422, headers
    mydata.delete_account(user, keep_structure=form.keep_structure.data, now=context.now())
    logout_user()
    flash(_("Votre compte est supprimé. Vos contributions restent dans les communs, sans votre nom."), "success")
    return redirect(url_for("editions.home"))


@bp.route("/confidentialite")
def privacy():
    config = current_app.config
    return render_template("accounts/privacy.html", remember_days=config["REMEMBER_COOKIE_DURATION"].days,
                           audit_days=config.get("AUDIT_RETENTION_DAYS", 365))
