"""Forms of the lineage pages."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from commons.forms import INVALID_CHOICE, BoundedIntegerField, MultiCheckboxField, opts
from commons.kinds import EntryKind
from commons.lineage.models import REASON_MAX, ActionStatus
from commons.lineage.services import CarryMode


class CarryForm(FlaskForm):
    source = SelectField(invalid_choice_message=INVALID_CHOICE, label=_l("Atelier d'origine"), coerce=int,
                         validators=[InputRequired(_l("Choisissez l'atelier d'origine."))])
    mode = SelectField(invalid_choice_message=INVALID_CHOICE, label=_l("Que reprendre ?"), choices=opts([
        (CarryMode.ALL.value, _l("Toutes les fiches de l'atelier")), (CarryMode.KIND.value, _l("Une seule nature")),
        (CarryMode.SELECTED.value, _l("Les fiches cochées ci-dessous")),
    ]), default=CarryMode.SELECTED.value)
    kind = SelectField(invalid_choice_message=INVALID_CHOICE, label=_l("Nature"), default="",
                       choices=opts([("", "—")] + [(k.value, k.plural) for k in EntryKind]))
    entries = MultiCheckboxField(_l("Fiches"), coerce=int, choices=[])
    note = TextAreaField(_l("Message pour l'animation (facultatif)"), validators=[Optional(), Length(max=REASON_MAX)])


class RewordForm(FlaskForm):
    title = StringField(_l("Nouvelle formulation"), validators=[DataRequired(_l("Le titre est obligatoire."))])
    body = TextAreaField(_l("Texte"))
    base_revision = HiddenField()


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Raison de l'abandon"), validators=[
        DataRequired(_l("Indiquez pourquoi cette fiche est abandonnée.")), Length(max=REASON_MAX)])


class EvidenceForm(FlaskForm):
    evidence = TextAreaField(_l("Ce qui montre que l'action est réalisée"), validators=[
        DataRequired(_l("Indiquez ce qui montre que l'action est réalisée.")), Length(max=REASON_MAX)])


class SplitForm(FlaskForm):
    titles = TextAreaField(_l("Une formulation par ligne (la première remplace la fiche reprise)"),
                           validators=[DataRequired(_l("Indiquez au moins deux formulations."))])


class MergeForm(FlaskForm):
    links = MultiCheckboxField(_l("Fiches à fusionner"), coerce=int, choices=[])
    title = StringField(_l("Formulation de la fiche fusionnée (facultatif)"), validators=[Optional(), Length(max=200)])


class RefuseForm(FlaskForm):
    reason = TextAreaField(_l("Motif du refus (facultatif)"), validators=[Optional(), Length(max=REASON_MAX)])


class OriginForm(FlaskForm):
    # Digits of any length: the service answers "this entry no longer exists" for an id no
    # row can have, where a bounded field would only say "not a number".
    source_id = StringField(_l("Numéro de la fiche d'origine"), validators=[
        InputRequired(_l("Indiquez le numéro de la fiche d'origine."))])


class FollowUpForm(FlaskForm):
    status = SelectField(invalid_choice_message=INVALID_CHOICE, label=_l("Statut"),
                         choices=opts([(s.value, s.label) for s in ActionStatus]))
    owner = SelectField(invalid_choice_message=INVALID_CHOICE, label=_l("Structure porteuse"), coerce=int,
                        choices=[])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=REASON_MAX)])
    base_version = BoundedIntegerField(minimum=0, message=_l(
        "Le formulaire de suivi ne dit pas de quelle version il part : rechargez la page."),
        validators=[InputRequired(_l("Le formulaire de suivi ne dit pas de quelle version il part : "
                                     "rechargez la page."))])
