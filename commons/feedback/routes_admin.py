"""The admins' side: open and close an edition's questionnaire, and pass its link on.

Refusals (already open, already closed) answer 409 with the page again; the request's unit of
work then rolls back, so nothing changes.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from commons.accounts import context
from commons.accounts.permissions import Permission, permission_required
from commons.editions.models import Edition
from commons.editions.routes import edition_or_404
from commons.errors import ServiceError
from commons.feedback import bp, results, services
from commons.forms import EmptyForm
from commons.web import external_url

admins_only = permission_required(Permission.MANAGE_FEEDBACK)


def _manage_page(edition: Edition, error: str | None = None, status: int = 200):
    questionnaire = services.for_edition(edition)
    link = external_url("feedback.answer", token=questionnaire.token) if questionnaire else None
    return render_template("feedback/manage.html", edition=edition, questionnaire=questionnaire, link=link,
                           answers=results.answer_count(questionnaire) if questionnaire else 0,
                           form=EmptyForm(formdata=None), error=error), status


@bp.route("/editions/<slug>/retours/gerer")
@admins_only
def manage(slug: str):
    return _manage_page(edition_or_404(slug))


@bp.route("/editions/<slug>/retours/ouvrir", methods=["POST"])
@admins_only
def open_view(slug: str):
    edition = edition_or_404(slug)
    if not EmptyForm().validate_on_submit():
        return _manage_page(edition, _("Le formulaire a expiré : rechargez la page et recommencez."), 422)
    try:
        services.open_questionnaire(edition, by=current_user._get_current_object(), now=context.now())
    except ServiceError as exc:
        return _manage_page(edition, str(exc), exc.status)
    flash(_("Questionnaire ouvert : transmettez le lien aux participants."), "success")
    return redirect(url_for("feedback.manage", slug=slug))


@bp.route("/editions/<slug>/retours/fermer", methods=["POST"])
@admins_only
def close_view(slug: str):
    edition = edition_or_404(slug)
    questionnaire = services.for_edition(edition)
    if questionnaire is None:
        return _manage_page(edition, _("Aucun questionnaire n'est ouvert pour cette édition."), 409)
    if not EmptyForm().validate_on_submit():
        return _manage_page(edition, _("Le formulaire a expiré : rechargez la page et recommencez."), 422)
    try:
        services.close_questionnaire(questionnaire, now=context.now())
    except ServiceError as exc:
        return _manage_page(edition, str(exc), exc.status)
    flash(_("Questionnaire fermé : il n'accepte plus de réponses, et ses résultats sont publiés."), "success")
    return redirect(url_for("feedback.manage", slug=slug))
