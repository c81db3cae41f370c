"""My account (/compte): what the account holds, a new password, a new address."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from commons.accounts import bp, context, letters, profile, services, throttle, tokens
from commons.accounts.departments import label as department_label
from commons.accounts.forms import ChangeEmailForm, ChangePasswordForm, IdentityForm
from commons.accounts.models import TokenPurpose
from commons.accounts.services import AccountError
from commons.errors import ServiceError
from commons.forms import EmptyForm, attach_error


def _profile_page(password_form=None, email_form=None, identity_form=None, status: int = 200):
    user = current_user._get_current_object()
    identity_form = identity_form or IdentityForm(
        formdata=None, prefix="id", data={"display_name": user.display_name, "is_name_public": user.is_name_public})
    return render_template("accounts/profile.html", user=user, department=department_label(user.department),
                           identity_form=identity_form,
                           password_form=password_form or ChangePasswordForm(formdata=None, prefix="pw"),
                           email_form=email_form or ChangeEmailForm(formdata=None, prefix="em"),
                           keeps_links=context.keeps_links()), status


@bp.route("/compte")
@login_required
def profile_page():
    return _profile_page()


def _current_password_refused(user, password: str, field) -> tuple[str, dict] | None:
    """None when `password` is the account's; else adds the error to `field` and says how to answer.
    A stolen session must not become a way to guess the password: wrong guesses count against
    the account like failed sign-ins, and lock it the same way (429 with the lock's end)."""
    store, now = context.store(), context.now()
    limits = throttle.limits_for(user.email, request.remote_addr, current_app.config)
    until = throttle.locked_until(store, limits, now)
    if until is None:
        if user.check_password(password):
            return None
        until = throttle.fail(store, limits, now)
        field.errors.append(_("Mot de passe actuel incorrect."))
    if until is None:
        return "", {}
    message, headers = context.too_many(until)
    field.errors.append(message)
    return message, headers


def _refused_page(refusal: tuple[str, dict], **forms):
    message, headers = refusal
    return *_profile_page(**forms, status=429 if headers else 422), headers


@bp.route("/compte/mot-de-passe", methods=["POST"])
@login_required
def change_password():
    form = ChangePasswordForm(prefix="pw")  # two forms on one page: their fields' ids must differ
    if not form.validate_on_submit():
        return _profile_page(password_form=form, status=422)
    user = current_user._get_current_object()
    if (refusal := _current_password_refused(user, form.current.data, form.current)) is not None:
        return _refused_page(refusal, password_form=form)
    try:
        ended = services.change_password(user, form.password.data, now=context.now(),
                                         keep_session_id=user.session_record_id, address_hash=context.address_hash())
    except AccountError as exc:
        attach_error(form, exc)
        return _profile_page(password_form=form, status=422)
    flash(_("Votre mot de passe est changé ; %(n)s autre(s) session(s) fermée(s).", n=ended), "success")
    return redirect(url_for("accounts.profile_page"))


@bp.route("/compte/nom", methods=["POST"])
@login_required
def change_identity():
    form = IdentityForm(prefix="id")
    if not form.validate_on_submit():
        return _profile_page(identity_form=form, status=422)
    try:
        services.update_identity(current_user._get_current_object(), display_name=form.display_name.data,
                                 is_name_public=form.is_name_public.data)
    except AccountError as exc:
        attach_error(form, exc)
        return _profile_page(identity_form=form, status=422)
    flash(_("Votre nom et son affichage sont enregistrés."), "success")
    return redirect(url_for("accounts.profile_page"))


@bp.route("/compte/adresse", methods=["POST"])
@login_required
def change_email():
    form = ChangeEmailForm(prefix="em")
    if not form.validate_on_submit():
        return _profile_page(email_form=form, status=422)
    user = current_user._get_current_object()
    if (refusal := _current_password_refused(user, form.password.data, form.password)) is not None:
        return _refused_page(refusal, email_form=form)
    try:
        email, token = profile.request_email_change(user, form.new_email.data, now=context.now(),
                                                    keep_for_relay=context.keeps_links(),
                                                    address_hash=context.address_hash())
    except AccountError as exc:
        attach_error(form, exc, {"email": "new_email"})
        return _profile_page(email_form=form, status=422)
    if token is not None:
        context.send(letters.confirm_email(email, context.link("accounts.confirm_email", token)))
    # The same words whether or not another account has that address.
    flash(_("Pour terminer, ouvrez le lien envoyé à la nouvelle adresse (valable 24 heures) : votre adresse ne "
            "change qu'à ce moment-là."), "success")
    return redirect(url_for("accounts.profile_page"))


@bp.route("/compte/adresse/<token>", methods=["GET", "POST"])
def confirm_email(token: str):
    now = context.now()
    try:
        link = tokens.find(token, [TokenPurpose.CONFIRM_EMAIL], now)
    except tokens.TokenRefused as exc:
        return context.refused_link(exc)
    form = EmptyForm()
    if not form.validate_on_submit():
        return render_template("accounts/confirm_email.html", form=form, email=link.email), \
            422 if form.is_submitted() else 200
    try:
        user, old = profile.confirm_email_change(link, now=now, address_hash=context.address_hash())
    except ServiceError as exc:
        return render_template("accounts/link_refused.html", message=str(exc)), getattr(exc, "status", 422)
    context.send(letters.email_changed(old))
    flash(_("C'est fait : votre compte utilise désormais cette adresse pour se connecter."), "success")
    return redirect(url_for("accounts.profile_page"))
