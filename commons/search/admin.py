"""/admin/synonymes: admins edit the synonym sets applied to queries (no reindex needed).

Views parse the form and call synonyms.py; the request's unit of work commits, so a refusal
answers 422 with the form, never a redirect.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField

from commons.accounts.permissions import Permission, permission_required
from commons.database import get_by_id
from commons.forms import EmptyForm, attach_error
from commons.search import bp, synonyms
from commons.search.models import SynonymSet

# Admins only: the vocabulary changes every search, whereas organisers manage editions.
admin_only = permission_required(Permission.MANAGE_SEARCH)


class SynonymForm(FlaskForm):
    expressions = TextAreaField(_l("Expressions équivalentes, une par ligne"))


@bp.route("/admin/synonymes")
@admin_only
def synonym_list():
    sets, defaults = synonyms.listed()
    return render_template("search/synonyms.html", sets=sets, defaults=defaults, form=EmptyForm())


def _form_page(form: SynonymForm, row: SynonymSet | None):
    status = 422 if form.errors or form.form_errors else 200
    return render_template("search/synonym_form.html", form=form, row=row), status


@bp.route("/admin/synonymes/nouveau", methods=["GET", "POST"])
@admin_only
def new_synonym():
    form = SynonymForm()
    if form.validate_on_submit():
        try:
            synonyms.add_set(form.expressions.data)
        except synonyms.SynonymError as exc:
            attach_error(form, exc)
        else:
            flash(_("Ensemble de synonymes ajouté : il s'applique dès la prochaine recherche."), "success")
            return redirect(url_for("search.synonym_list"))
    return _form_page(form, None)


@bp.route("/admin/synonymes/<int:set_id>/modifier", methods=["GET", "POST"])
@admin_only
def edit_synonym(set_id: int):
    row = get_by_id(SynonymSet, set_id) or abort(404)
    form = SynonymForm(data={"expressions": row.expressions})
    if form.validate_on_submit():
        try:
            synonyms.update_set(row, form.expressions.data)
        except synonyms.SynonymError as exc:
            attach_error(form, exc)
        else:
            flash(_("Ensemble de synonymes enregistré."), "success")
            return redirect(url_for("search.synonym_list"))
    return _form_page(form, row)


@bp.route("/admin/synonymes/<int:set_id>/supprimer", methods=["POST"])
@admin_only
def delete_synonym(set_id: int):
    row = get_by_id(SynonymSet, set_id) or abort(404)
    if EmptyForm().validate_on_submit():
        synonyms.delete_set(row)
        flash(_("Ensemble de synonymes supprimé."), "success")
    return redirect(url_for("search.synonym_list"))


@bp.route("/admin/synonymes/defaut", methods=["POST"])
@admin_only
def restore_synonyms():
    if EmptyForm().validate_on_submit():
        synonyms.restore_defaults()
        flash(_("La liste par défaut est rétablie ; vous pouvez la modifier."), "success")
    return redirect(url_for("search.synonym_list"))
