"""Accounts administration: sign-up requests, invitations, the links to pass on (no mail server)."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from commons.accounts import audit, bp, context, invitations, letters, signup, tokens
from commons.accounts.departments import label as department_label
from commons.accounts.forms import ApproveForm, InviteForm, RefuseForm
from commons.accounts.models import JoinRequest, Role
from commons.accounts.permissions import Permission, permission_required
from commons.accounts.services import AccountError
from commons.database import get_by_id
from commons.errors import ServiceError
from commons.forms import attach_error
from commons.web import abort_with

admins_only = permission_required(Permission.MANAGE_ACCOUNTS)


def _relay_note() -> str:
    return _(" Pas de serveur de courriel : le lien est sur la page « Liens à transmettre ».") \
        if context.keeps_links() else ""


@bp.route("/admin/demandes")
@admins_only
def join_requests():
    rows = [(r, department_label(r.department), ApproveForm(formdata=None, role=r.role_asked.value),
             RefuseForm(formdata=None)) for r in signup.pending_requests()]
    return render_template("accounts/admin_requests.html", rows=rows, mode_label=_MODE_LABELS[context.signup_mode()])


def _pending_request(request_id: int) -> JoinRequest:
    request = get_by_id(JoinRequest, request_id)
    if request is None:
        abort_with(404, _("Cette demande n'existe pas."))
    return request


def _refuse_with(error: ServiceError, action: str):
    audit.record_refused_action(action, error, now=context.now(), actor_id=current_user.id)
    abort_with(error.status if error.status in (404, 409) else 422, str(error))


@bp.route("/admin/demandes/<int:request_id>/approuver", methods=["POST"])
@admins_only
def approve_request(request_id: int):
    request = _pending_request(request_id)
    form = ApproveForm()
    if not form.validate_on_submit():
        abort_with(422, _("Choisissez le rôle à accorder."))
    try:
        user, token = signup.approve(request, role=Role(form.role.data), admin=current_user._get_current_object(),
                                     now=context.now(), keep_for_relay=context.keeps_links())
    except ServiceError as exc:
        _refuse_with(exc, "approve_request")
    context.send(letters.set_password(user.email, context.link("accounts.choose_password", token)))
    flash(_("Demande acceptée : le compte de %(name)s est créé, avec un lien pour choisir son mot de passe.",
            name=user.name) + _relay_note(), "success")
    return redirect(url_for("accounts.join_requests"))


@bp.route("/admin/demandes/<int:request_id>/refuser", methods=["POST"])
@admins_only
def refuse_request(request_id: int):
    request = _pending_request(request_id)
    form = RefuseForm()
    if not form.validate_on_submit():
        abort_with(422, _("Écrivez un message pour la personne qui a fait la demande."))
    try:
        signup.refuse(request, message=form.message.data, admin=current_user._get_current_object(),
                      now=context.now())
    except ServiceError as exc:
        _refuse_with(exc, "refuse_request")
    context.send(letters.join_refused(request.email, request.refusal_message))
    flash(_("Demande refusée ; le message est enregistré."), "success")
    return redirect(url_for("accounts.join_requests"))


@bp.route("/admin/invitations", methods=["GET", "POST"])
@admins_only
def invitations_page():
    form = InviteForm()
    if form.validate_on_submit():
        try:
            email, token = invitations.invite(form.email.data, Role(form.role.data), admin=current_user._get_current_object(),
                                       now=context.now(), keep_for_relay=context.keeps_links())
        except AccountError as exc:
            attach_error(form, exc)
        else:
            context.send(letters.invitation(email, context.link("accounts.accept_invitation", token),
                                            Role(form.role.data).label))
            flash(_("Invitation créée (valable 7 jours).") + _relay_note(), "success")
            return redirect(url_for("accounts.invitations_page"))
    status = 422 if form.is_submitted() else 200
    return render_template("accounts/admin_invitations.html", form=form,
                           pending=invitations.pending(context.now())), status


@bp.route("/admin/liens")
@admins_only
def relay_links():
    rows = [(row, tokens.recipient(row), context.link(_ENDPOINTS[row.purpose], row.relay_token))
            for row in tokens.relayed(context.now())]
    return render_template("accounts/admin_links.html", rows=rows, keeps_links=context.keeps_links())


_MODE_LABELS = {
    signup.SignupMode.OPEN: _l("ouvert (les comptes sont créés sans validation)"),
    signup.SignupMode.APPROVAL: _l("sur validation"),
    signup.SignupMode.CLOSED: _l("fermé (sur invitation seulement)"),
}
_ENDPOINTS = {
    tokens.TokenPurpose.SET_PASSWORD: "accounts.choose_password",
    tokens.TokenPurpose.RESET_PASSWORD: "accounts.choose_password",
    tokens.TokenPurpose.INVITATION: "accounts.accept_invitation",
    tokens.TokenPurpose.CONFIRM_EMAIL: "accounts.confirm_email",
}
