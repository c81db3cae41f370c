"""Forms of the editions administration."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from commons.database import parse_int
from commons.editions.models import WorkshopFormat
from commons.editions.services import YEAR_MAX, YEAR_MIN
from commons.forms import INVALID_CHOICE, BoundedIntegerField, MultiCheckboxField, opts


class EditionForm(FlaskForm):
    name = StringField(_l("Nom"), validators=[
        DataRequired(_l("Le nom de l'édition est obligatoire.")), Length(max=200)])
    slug = StringField(_l("Identifiant d'adresse"), validators=[Optional(), Length(max=120)])
    year = BoundedIntegerField(_l("Année"), validators=[InputRequired(_l("Indiquez l'année."))],
                               minimum=YEAR_MIN, maximum=YEAR_MAX,
                               message=_l("L'année doit être comprise entre 1990 et 2100."))
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


def _account_id(value) -> int:
    """The chosen account's id; anything but one (0 stands for "nobody chosen")."""
    return value if isinstance(value, int) else parse_int(str(value)) or 0


class FacilitatorForm(FlaskForm):
    # Not checked against the list on screen: an account deactivated since the page was shown
    # is refused by the service, with its own French message.
    user = SelectField(_l("Personne à qui confier l'animation"), coerce=_account_id, choices=[],
                       validate_choice=False,
                       validators=[DataRequired(_l("Choisissez la personne à qui confier l'animation."))])
