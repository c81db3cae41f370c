"""Forms of the lineage pages and of the editions administration."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice
from wtforms import (
    BooleanField, DateField, HiddenField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField,
    TimeField, widgets,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from commons.editions.models import WorkshopFormat
from commons.entries.kinds import EntryKind
from commons.lineage.models import REASON_MAX, ActionStatus
from commons.lineage.services import CarryMode


INVALID_CHOICE = _l("Ce choix n'est pas proposé.")


def opts(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms 3.3 wants them (tuples are deprecated)."""
    return [SelectChoice(value=value, label=label) for value, label in pairs]


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def pre_validate(self, form):
        # Choices are the entries on screen; a vanished one is reported by the service, in French.
        pass


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
    note = TextAreaField(_l("Message pour l'animation (facultatif)"), validators=[Optional(), Length(max=2000)])


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


class EmptyForm(FlaskForm):
    """Buttons that change something still need a CSRF token."""


class RefuseForm(FlaskForm):
    reason = TextAreaField(_l("Motif du refus (facultatif)"), validators=[Optional(), Length(max=2000)])


class OriginForm(FlaskForm):
    source_id = IntegerField(_l("Numéro de la fiche d'origine"), validators=[
        InputRequired(_l("Indiquez le numéro de la fiche d'origine.")), NumberRange(min=1)])


class FollowUpForm(FlaskForm):
    status = SelectField(invalid_choice_message=INVALID_CHOICE, label=_l("Statut"),
                         choices=opts([(s.value, s.label) for s in ActionStatus]))
    owner = SelectField(invalid_choice_message=INVALID_CHOICE, label=_l("Structure porteuse"), coerce=int,
                        choices=[])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=REASON_MAX)])


class EditionForm(FlaskForm):
    name = StringField(_l("Nom"), validators=[
        DataRequired(_l("Le nom de l'édition est obligatoire.")), Length(max=200)])
    slug = StringField(_l("Identifiant d'adresse"), validators=[Optional(), Length(max=120)])
    year = IntegerField(_l("Année"), validators=[
        InputRequired(_l("Indiquez l'année.")),
        NumberRange(1990, 2100, _l("L'année doit être comprise entre 1990 et 2100."))])
    place = StringField(_l("Lieu (commune)"), validators=[Optional(), Length(max=200)])
    venue = StringField(_l("Salle"), validators=[Optional(), Length(max=200)])
    starts_on = DateField(_l("Premier jour"), validators=[Optional()])
    ends_on = DateField(_l("Dernier jour"), validators=[Optional()])
    description = TextAreaField(_l("Présentation (Markdown)"), validators=[Optional(), Length(max=100_000)])
    is_illustrative = BooleanField(_l("Données d'illustration (signalées comme telles)"))
    copy_from = SelectField(invalid_choice_message=INVALID_CHOICE, label=_l("Reprendre le programme de"),
                            coerce=int, choices=[], default=0)


class CopyProgrammeForm(FlaskForm):
    source = SelectField(invalid_choice_message=INVALID_CHOICE, label=_l("Édition modèle"), coerce=int, choices=[])


class WorkshopForm(FlaskForm):
    title = StringField(_l("Titre"), validators=[
        DataRequired(_l("Le titre de l'atelier est obligatoire.")), Length(max=300)])
    slug = StringField(_l("Identifiant d'adresse"), validators=[Optional(), Length(max=160)])
    format = SelectField(invalid_choice_message=INVALID_CHOICE, label=_l("Format"),
                         choices=opts([(f.value, f.label) for f in WorkshopFormat]), default="atelier")
    day = DateField(_l("Jour"), validators=[Optional()])
    starts = TimeField(_l("Début"), validators=[Optional()])
    ends = TimeField(_l("Fin"), validators=[Optional()])
    room = StringField(_l("Salle"), validators=[Optional(), Length(max=120)])
    axis = StringField(_l("Axe"), validators=[Optional(), Length(max=200)])
    description = TextAreaField(_l("Description (Markdown)"), validators=[Optional(), Length(max=100_000)])
    questions = TextAreaField(_l("Questions directrices, une par ligne"), validators=[Optional(), Length(max=5000)])
    structures = MultiCheckboxField(_l("Structures qui l'animent"), coerce=int, choices=[])
