"""Ways in: asking to join, accepting an invitation, a forgotten password, a set-password link."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from commons.accounts import bp, context, invitations, letters, reset, signup, tokens
from commons.accounts.directory import structures
from commons.accounts.forms import InvitationAcceptForm, JoinForm, PasswordChoiceForm, ResetRequestForm
from commons.accounts.models import Role, TokenPurpose
from commons.accounts.services import AccountError
from commons.database import parse_int
from commons.errors import ServiceError
from commons.forms import attach_error, opts
from commons.web import external_url


def _join_form() -> JoinForm:
    form = JoinForm()
    form.structure.choices = opts([("", _("— choisissez —"))] + [(str(i), name) for i, name in structures()])
    return form


@bp.route("/inscription", methods=["GET", "POST"])
def join():
    mode = context.signup_mode()
    if mode is signup.SignupMode.CLOSED:
        return render_template("accounts/join_closed.html"), 403
    form = _join_form()
    if not form.validate_on_submit():
        return _join_page(form, mode, 422 if form.is_submitted() else 200)
    config = current_app.config
    until = context.count_request("signup", [("address", request.remote_addr, config["SIGNUP_ADDRESS_LIMIT"])])
    if until is not None:
        message, headers = context.too_many(until)
        form.form_errors.append(message)
        return *_join_page(form, mode, 429), headers
    data = signup.JoinData(
        email=form.email.data or "", display_name=form.display_name.data or "",
        structure_id=parse_int(form.structure.data), proposed_structure=form.proposed_structure.data or "",
        department=form.department.data or "", role=Role(form.role.data), reason=form.reason.data or "")
    try:
        outcome = signup.ask_to_join(data, mode=mode, structures=dict(structures()), now=context.now(),
                                     keep_for_relay=context.keeps_links(), address_hash=context.address_hash())
    except AccountError as exc:
        attach_error(form, exc)
        return _join_page(form, mode, 422)
    _mail_after_join(outcome)
    # The same page and status whether the address was new or known: nothing to enumerate.
    return render_template("accounts/join_sent.html", is_open=mode is signup.SignupMode.OPEN)


def _join_page(form: JoinForm, mode: signup.SignupMode, status: int):
    return render_template("accounts/join.html", form=form, is_open=mode is signup.SignupMode.OPEN), status


def _mail_after_join(outcome: signup.Outcome) -> None:
    if outcome.is_duplicate:
        context.send(letters.signup_with_known_address(outcome.email, external_url("accounts.forgot_password")))
    elif outcome.token is not None:
        context.send(letters.set_password(outcome.email, context.link("accounts.choose_password", outcome.token)))


@bp.route("/mot-de-passe/oubli", methods=["GET", "POST"])
def forgot_password():
    form = ResetRequestForm()
    if not form.validate_on_submit():
        return render_template("accounts/forgot.html", form=form), 422 if form.is_submitted() else 200
    config = current_app.config
    until = context.count_request("reset", [("account", form.email.data, config["RESET_ACCOUNT_LIMIT"]),
                                            ("address", request.remote_addr, config["RESET_ADDRESS_LIMIT"])])
    if until is not None:
        message, headers = context.too_many(until)
        form.form_errors.append(message)
        return render_template("accounts/forgot.html", form=form), 429, headers
    found = reset.request_reset(form.email.data, now=context.now(), keep_for_relay=context.keeps_links(),
                                address_hash=context.address_hash())
    if found is not None:
        user, token = found
        context.send(letters.reset_password(user.email, context.link("accounts.choose_password", token)))
    # Whether or not an account has this address: the same words, the same redirect.
    if context.keeps_links():
        flash(_("Si un compte existe pour cette adresse, un lien pour choisir un nouveau mot de passe a été préparé : "
                "l'équipe d'administration vous le transmettra."), "success")
    else:
        flash(_("Si un compte existe pour cette adresse, un lien pour choisir un nouveau mot de passe vient de lui "
                "être envoyé (valable 1 heure)."), "success")
    return redirect(url_for("accounts.forgot_password"))


@bp.route("/mot-de-passe/nouveau/<token>", methods=["GET", "POST"])
def choose_password(token: str):
    now = context.now()
    try:
        link = tokens.find(token, tokens.PASSWORD_PURPOSES, now)
    except tokens.TokenRefused as exc:
        return context.refused_link(exc)
    form = PasswordChoiceForm()
    is_new = link.purpose is TokenPurpose.SET_PASSWORD
    if form.validate_on_submit():
        try:
            reset.choose_password(link, form.password.data, now=now, address_hash=context.address_hash())
        except tokens.TokenRefused as exc:
            return context.refused_link(exc)
        except AccountError as exc:
            attach_error(form, exc)
        else:
            return _signed_out_to_login(_("Votre mot de passe est enregistré : connectez-vous avec lui."))
    status = 422 if form.is_submitted() else 200
    return render_template("accounts/choose_password.html", form=form, is_new=is_new), status


def _signed_out_to_login(message: str):
    """Off to the sign-in page, signed out (a reset just ended every session, this one too)."""
    if current_user.is_authenticated:
        session.clear()
        logout_user()
    flash(message, "success")
    return redirect(url_for("accounts.login"))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    now = context.now()
    try:
        invitation = tokens.find(token, [TokenPurpose.INVITATION], now)
    except tokens.TokenRefused as exc:
        return context.refused_link(exc)
    form = InvitationAcceptForm()
    if form.validate_on_submit():
        try:
            invitations.accept(invitation, display_name=form.display_name.data, password=form.password.data,
                               now=now, address_hash=context.address_hash())
        except tokens.TokenRefused as exc:
            return context.refused_link(exc)
        except ServiceError as exc:
            if exc.status != 422:  # the address got an account meanwhile
                return render_template("accounts/link_refused.html", message=str(exc)), exc.status
            attach_error(form, exc)
        else:
            return _signed_out_to_login(_("Votre compte est créé : connectez-vous avec votre adresse et votre mot "
                                          "de passe."))
    status = 422 if form.is_submitted() else 200
    return render_template("accounts/invitation.html", form=form, role=invitation.role or Role.CONTRIBUTOR), status
