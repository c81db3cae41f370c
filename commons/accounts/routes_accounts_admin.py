"""Accounts administration: the accounts list, one account (role, deactivation), the audit journal.

Every view is for admins (MANAGE_ACCOUNTS). The actions call a service of
commons/accounts/admin.py, which flushes; the request's unit of work commits, and a refusal
answers 4xx with the account page and its message, so nothing is kept.
"""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from commons.accounts import admin as manage
from commons.accounts import audit, bp, context
from commons.accounts.forms import AccountsFilterForm, JournalFilterForm, RoleForm
from commons.accounts.models import AuditKind, Role, User
from commons.accounts.routes_admin import admins_only
from commons.accounts.services import AccountError
from commons.database import get_by_id
from commons.paging import Page, page_or_404
from commons.web import abort_with

ACCOUNT_EVENTS = 10  # the latest events shown on an account's page; the journal has the rest


def _query_args(form) -> dict[str, str]:
    """The filters as given, for the pager's links (empty ones left out)."""
    return {name: value for name, value in request.args.items() if name in form and value}


def _empty_page() -> Page:
    return Page(1, current_app.config.get("ENTRIES_PER_PAGE", 50), 0)


def _accounts_page(form: AccountsFilterForm, *, accounts: list[User], total: int, page: Page, status: int = 200):
    return render_template("accounts/admin_accounts.html", form=form, accounts=accounts, total=total, page=page,
                           counts=manage.state_counts(), states=manage.AccountState, state_of=manage.state_of,
                           args=_query_args(form) if status < 400 else {}), status


@bp.route("/admin/comptes")
@admins_only
def admin_accounts():
    form = AccountsFilterForm(formdata=request.args)
    if not form.validate():
        return _accounts_page(form, accounts=[], total=0, page=_empty_page(), status=422)
    filters = manage.AccountFilter(role=Role(form.role.data) if form.role.data else None,
                                   state=manage.AccountState(form.state.data) if form.state.data else None,
                                   text=form.q.data or "")
    total = manage.count_accounts(filters)
    page = page_or_404(total, _l("Cette page de la liste des comptes n'existe pas (pages 1 à %(last)d)."))
    return _accounts_page(form, accounts=manage.list_accounts(filters, limit=page.per_page, offset=page.offset),
                          total=total, page=page)


def _account_or_404(user_id: int) -> User:
    user = get_by_id(User, user_id)
    if user is None:
        abort_with(404, _("Ce compte n'existe pas."))
    return user


def _account_page(user: User, *, role_form: RoleForm | None = None, error: str | None = None,
                  status: int = 200):
    config = current_app.config
    sessions = manage.active_session_count(user, context.now(), lifetime=config["REMEMBER_COOKIE_DURATION"],
                                           idle=config["SESSION_IDLE"])
    events = manage.list_events(manage.JournalFilter(person_id=user.id), limit=ACCOUNT_EVENTS, offset=0)
    return render_template("accounts/admin_account.html", account=user, state=manage.state_of(user),
                           role_form=role_form or RoleForm(formdata=None, role=user.role.value),
                           sessions=sessions, events=events, people=manage.people_of(events),
                           details=manage.detail_items, error=error,
                           is_self=user.id == current_user.id), status


@bp.route("/admin/comptes/<int:user_id>")
@admins_only
def admin_account(user_id: int):
    return _account_page(_account_or_404(user_id))


@bp.route("/admin/comptes/<int:user_id>/role", methods=["POST"])
@admins_only
def change_role(user_id: int):
    user = _account_or_404(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        return _account_page(user, role_form=form, status=422)
    me = current_user._get_current_object()
    try:
        changed = manage.change_role(user, Role(form.role.data), admin=me, now=context.now())
    except AccountError as exc:
        audit.record_refused_action("change_role", exc, now=context.now(), actor_id=me.id, subject_id=user.id)
        return _account_page(user, role_form=form, error=str(exc), status=exc.status)
    if not changed:
        flash(_("%(name)s a déjà ce rôle : rien n'a changé.", name=user.name), "warning")
    else:
        flash(_("%(name)s a désormais le rôle « %(role)s ».", name=user.name, role=user.role.label), "success")
    if user.id == me.id and user.role is not Role.ADMIN:
        return redirect(url_for("editions.home"))  # this page is no longer theirs to see
    return redirect(url_for("accounts.admin_account", user_id=user.id))


@bp.route("/admin/comptes/<int:user_id>/desactiver", methods=["POST"])
@admins_only
def deactivate_account(user_id: int):
    user = _account_or_404(user_id)
    try:
        ended = manage.deactivate(user, admin=current_user._get_current_object(), now=context.now(),
                                  is_confirmed=request.form.get("confirm") == "yes")
    except AccountError as exc:
        audit.record_refused_action("deactivate", exc, now=context.now(), actor_id=current_user.id, subject_id=user.id)
        return _account_page(user, error=str(exc), status=exc.status)
    if ended is None:
        flash(_("Ce compte était déjà désactivé."), "warning")
    else:
        flash(_("Compte de %(name)s désactivé ; %(n)s session(s) fermée(s) : la personne est déconnectée "
                "partout.", name=user.name, n=ended), "success")
    return redirect(url_for("accounts.admin_account", user_id=user.id))


@bp.route("/admin/comptes/<int:user_id>/reactiver", methods=["POST"])
@admins_only
def reactivate_account(user_id: int):
    user = _account_or_404(user_id)
    if manage.reactivate(user, admin=current_user._get_current_object(), now=context.now()):
        flash(_("Compte de %(name)s réactivé : la personne peut se connecter de nouveau.", name=user.name),
              "success")
    else:
        flash(_("Ce compte est déjà actif."), "warning")
    return redirect(url_for("accounts.admin_account", user_id=user.id))


WHO_CHOICES = 10  # accounts offered when a name matches several


def _journal_filter(form: JournalFilterForm, person_id: int | None) -> manage.JournalFilter:
    since_at, before_at = manage.day_bounds(form.since.data, form.until.data,
                                            current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return manage.JournalFilter(kind=AuditKind(form.kind.data) if form.kind.data else None,
                                person_id=person_id, since_at=since_at, before_at=before_at)


def _journal_person(form: JournalFilterForm) -> tuple[int | None, list[User]]:
    """The account the journal is filtered on: by number, or the one account `who` names. When
    `who` names several, none yet and the choices (the page links each one by number)."""
    who = (form.who.data or "").strip()
    if not who:
        return form.person.number, []
    found = manage.list_accounts(manage.AccountFilter(text=who), limit=WHO_CHOICES + 1, offset=0)
    if not found:
        form.who.errors = [_("Aucun compte ne correspond à « %(who)s ».", who=who)]
    return (found[0].id, []) if len(found) == 1 else (None, found)


def _journal_refused(form: JournalFilterForm, days: int):
    return render_template("accounts/admin_journal.html", form=form, events=[], total=0, people={},
                           page=_empty_page(), args={}, details=manage.detail_items, person=None, choices=[],
                           retention_days=days), 422


@bp.route("/admin/journal")
@admins_only
def audit_journal():
    form = JournalFilterForm(formdata=request.args)
    days = current_app.config["AUDIT_RETENTION_DAYS"]
    if not form.validate():
        return _journal_refused(form, days)
    person_id, choices = _journal_person(form)
    if form.who.errors:
        return _journal_refused(form, days)
    filters = _journal_filter(form, person_id)
    total = manage.count_events(filters)
    page = page_or_404(total, _l("Cette page du journal n'existe pas (pages 1 à %(last)d)."))
    events = manage.list_events(filters, limit=page.per_page, offset=page.offset)
    person = get_by_id(User, person_id) if person_id else None
    args = {k: v for k, v in _query_args(form).items() if k not in ("who", "person")}
    if person is not None:
        args["person"] = str(person.id)  # the pages and the choices name the account by its number
    return render_template("accounts/admin_journal.html", form=form, events=events, total=total,
                           people=manage.people_of(events), page=page, args=args, details=manage.detail_items,
                           person=person, choices=choices[:WHO_CHOICES], has_more_choices=len(choices) > WHO_CHOICES,
                           retention_days=days)