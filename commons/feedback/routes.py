"""The participants' side: answering through the link, and the results page.

Results are public once the questionnaire is closed (counts, percentages, and only the comments
their authors agreed to publish); while it is open only admins see them, so that early figures
neither sway the answers still to come nor get quoted as final.
"""
from __future__ import annotations

import secrets

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from commons.accounts import context
from commons.accounts.permissions import Permission, can
from commons.editions.models import Edition
from commons.editions.routes import edition_or_404
from commons.feedback import bp, charts, results, services
from commons.feedback.forms import AnswerForm
from commons.feedback.models import Questionnaire
from commons.feedback.questions import QUESTIONS
from commons.forms import attach_error
from commons.web import abort_with

# A random value per browser, only ever stored hashed with the questionnaire (services.browser_hash).
COOKIE = "commons_retours"
COOKIE_DAYS = 400


def _browser_cookie() -> tuple[str, bool]:
    """The browser's cookie value, and whether it is new (to be set on the response)."""
    value = request.cookies.get(COOKIE, "")
    if 20 <= len(value) <= 64 and value.isascii() and value.replace("-", "").replace("_", "").isalnum():
        return value, False
    return secrets.token_urlsafe(24), True


def _with_cookie(response, value: str, is_new: bool):
    if is_new:
        response.set_cookie(COOKIE, value, max_age=COOKIE_DAYS * 86400, path="/retours/", httponly=True,
                            samesite="Lax", secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))
    return response


def _questionnaire_or_404(token: str) -> Questionnaire:
    questionnaire = services.by_token(token)
    if questionnaire is None:
        abort_with(404, _("Ce lien de questionnaire n'existe pas : vérifiez l'adresse reçue des organisateurs."))
    return questionnaire


@bp.route("/retours/<token>", methods=["GET", "POST"])
def answer(token: str):
    questionnaire = _questionnaire_or_404(token)
    if not questionnaire.is_open:
        return render_template("feedback/closed.html", questionnaire=questionnaire), 410
    cookie, is_new = _browser_cookie()
    digest = services.browser_hash(questionnaire, cookie, current_app.config["SECRET_KEY"])
    if request.method == "GET" and services.has_answered(questionnaire, digest):
        return render_template("feedback/thanks.html", questionnaire=questionnaire)
    form = AnswerForm()
    status, headers = (422 if form.is_submitted() else 200), {}
    if form.validate_on_submit():
        status, headers = _record(questionnaire, form, digest)
        if status is None:
            flash(_("Merci ! Votre réponse est enregistrée."), "success")
            return _with_cookie(redirect(url_for("feedback.answer", token=token)), cookie, is_new)
    page = render_template("feedback/answer.html", questionnaire=questionnaire, form=form, questions=QUESTIONS)
    return _with_cookie(current_app.make_response((page, status, headers)), cookie, is_new)


def _record(questionnaire: Questionnaire, form: AnswerForm, digest: str) -> tuple[int | None, dict]:
    """Throttle, then record: (None, {}) when saved, else the refusal's status (shown on the form)
    and headers. Every valid-looking answer counts against the address, saved or not."""
    limit = current_app.config["FEEDBACK_ADDRESS_LIMIT"]
    until = context.count_request("feedback", [("address", request.remote_addr, limit)])
    if until is not None:
        message, headers = context.too_many(until)
        form.form_errors.append(message)
        return 429, headers
    data = services.AnswerData(choices={q.key: form[q.key].data or "" for q in QUESTIONS},
                               comment=form.comment.data or "", is_publishable=bool(form.is_publishable.data))
    try:
        services.answer(questionnaire, data, digest=digest, now=context.now())
    except services.FeedbackError as exc:
        attach_error(form, exc)
        return exc.status, {}
    except services.AlreadyAnswered as exc:
        form.form_errors.append(str(exc))
        return exc.status, {}
    return None, {}


@bp.route("/editions/<slug>/retours")
def results_page(slug: str):
    edition = edition_or_404(slug)
    questionnaire = services.for_edition(edition)
    if questionnaire is None:
        abort_with(404, _("Aucun questionnaire n'a été ouvert pour l'édition « %(name)s ».", name=edition.name))
    is_admin = can(Permission.MANAGE_FEEDBACK)
    if questionnaire.is_open and not is_admin:
        return render_template("feedback/results_pending.html", edition=edition)
    questions = results.results(questionnaire)
    return render_template(
        "feedback/results.html", edition=edition, questionnaire=questionnaire, questions=questions,
        charts=[charts.bar_chart(q, f"graphique-{q.key}") for q in questions],
        answers=results.answer_count(questionnaire), comments=results.published_comments(questionnaire),
        private_comments=results.unpublished_comments(questionnaire) if is_admin else None)


def edition_panel(edition: Edition) -> Markup | None:
    """On the edition page: the results once published, and the admins' way to the questionnaire."""
    questionnaire = services.for_edition(edition)
    is_admin = can(Permission.MANAGE_FEEDBACK)
    if not is_admin and (questionnaire is None or questionnaire.is_open):
        return None
    return Markup(render_template("feedback/_edition_panel.html", edition=edition, questionnaire=questionnaire,
                                  is_admin=is_admin))
