from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    PasswordField,
    SearchField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

from commons.accounts.admin import SEARCH_MAX, AccountState
from commons.accounts.departments import DEPARTMENTS, label
from commons.accounts.models import AuditKind, Role
from commons.forms import INVALID_CHOICE, BoundedIntegerField, opts


class LoginForm(FlaskForm):
    email = EmailField(_l("Adresse électronique"), validators=[
        DataRequired(_l("Indiquez votre adresse électronique.")), Length(max=254)])
    password = PasswordField(_l("Mot de passe"), validators=[DataRequired(_l("Indiquez votre mot de passe."))])
    remember = BooleanField(_l("Rester connecté·e sur cet appareil"))
    next = HiddenField()



def _role_choices(roles) -> list:
    return opts([(role.value, role.label) for role in roles])


class JoinForm(FlaskForm):
    display_name = StringField(_l("Nom affiché"), validators=[DataRequired(_l("Indiquez le nom à afficher."))])
    email = EmailField(_l("Adresse électronique"), validators=[
        DataRequired(_l("Indiquez votre adresse électronique.")), Length(max=254)])
    structure = SelectField(invalid_choice_message=INVALID_CHOICE, label=_l("Votre structure"), choices=[])
    proposed_structure = StringField(_l("Ou, si elle n'est pas dans la liste, son nom"))
    department = SelectField(invalid_choice_message=INVALID_CHOICE, label=_l("Département"),
                             choices=opts([("", _l("— choisissez —"))]
                                          + [(code, label(code)) for code in DEPARTMENTS]))
    role = SelectField(invalid_choice_message=INVALID_CHOICE, label=_l("Rôle demandé"),
                       choices=_role_choices((Role.CONTRIBUTOR, Role.FACILITATOR)))
    reason = TextAreaField(_l("Pourquoi souhaitez-vous un compte ? (1 000 caractères au plus)"))


class PasswordChoiceForm(FlaskForm):
    password = PasswordField(_l("Nouveau mot de passe"), validators=[
        DataRequired(_l("Choisissez un mot de passe."))])
    confirm = PasswordField(_l("Le même mot de passe, une seconde fois"), validators=[
        DataRequired(_l("Répétez le mot de passe.")), EqualTo("password", _l("Les deux mots de passe diffèrent."))])


class InvitationAcceptForm(PasswordChoiceForm):
    display_name = StringField(_l("Nom affiché"), validators=[DataRequired(_l("Indiquez le nom à afficher."))])


class ResetRequestForm(FlaskForm):
    email = EmailField(_l("Adresse électronique"), validators=[
        DataRequired(_l("Indiquez votre adresse électronique.")), Length(max=254)])


class ChangePasswordForm(PasswordChoiceForm):
    current = PasswordField(_l("Mot de passe actuel"), validators=[
        DataRequired(_l("Indiquez votre mot de passe actuel."))])


class ChangeEmailForm(FlaskForm):
    new_email = EmailField(_l("Nouvelle adresse électronique"), validators=[
        DataRequired(_l("Indiquez la nouvelle adresse.")), Length(max=254)])
    password = PasswordField(_l("Mot de passe actuel"), validators=[
        DataRequired(_l("Indiquez votre mot de passe actuel."))])


class InviteForm(FlaskForm):
    email = EmailField(_l("Adresse électronique de la personne invitée"), validators=[
        DataRequired(_l("Indiquez l'adresse à inviter.")), Length(max=254)])
    role = SelectField(invalid_choice_message=INVALID_CHOICE, label=_l("Rôle"), choices=_role_choices(Role))


class ApproveForm(FlaskForm):
    role = SelectField(invalid_choice_message=INVALID_CHOICE, label=_l("Rôle accordé"),
                       choices=_role_choices((Role.CONTRIBUTOR, Role.FACILITATOR)))


class RefuseForm(FlaskForm):
    message = TextAreaField(_l("Message à la personne"), validators=[
        DataRequired(_l("Écrivez un message pour la personne qui a fait la demande."))])


class RoleForm(FlaskForm):
    role = SelectField(invalid_choice_message=INVALID_CHOICE, label=_l("Nouveau rôle"), choices=_role_choices(Role))


class _QueryForm(FlaskForm):
    """Filters read from the address (GET): nothing to protect with a CSRF token."""

    class Meta:
        csrf = False


class AccountsFilterForm(_QueryForm):
    q = SearchField(_l("Nom, adresse électronique ou structure"), validators=[Length(max=SEARCH_MAX)])
    role = SelectField(invalid_choice_message=INVALID_CHOICE, label=_l("Rôle"), default="",
                       choices=opts([("", _l("Tous les rôles"))] + [(r.value, r.label) for r in Role]))
    state = SelectField(invalid_choice_message=INVALID_CHOICE, label=_l("État"), default="",
                        choices=opts([("", _l("Tous les états"))] + [(s.value, s.label) for s in AccountState]))


class JournalFilterForm(_QueryForm):
    kind = SelectField(invalid_choice_message=INVALID_CHOICE, label=_l("Type d'événement"), default="",
                       choices=opts([("", _l("Tous les types"))] + [(k.value, k.label) for k in AuditKind]))
    # Admins look a person up by name, address or structure (`who`); the links of the journal
    # and of an account's page name the account by its number (`person`).
    who = SearchField(_l("Personne (nom, adresse électronique ou structure)"), validators=[Length(max=SEARCH_MAX)])
    person = BoundedIntegerField(_l("Numéro du compte (auteur·rice ou personne concernée)"),
                                 message=_l("Indiquez le numéro d'un compte (un nombre entier)."))
    since = DateField(_l("Du (inclus)"), validators=[Optional()])
    until = DateField(_l("Au (inclus)"), validators=[Optional()])

    def validate_until(self, field) -> None:
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(str(_l("La date de fin précède la date de début.")))


class IdentityForm(FlaskForm):
    display_name = StringField(_l("Nom affiché"), validators=[DataRequired(_l("Indiquez le nom à afficher."))])
    is_name_public = BooleanField(_l("Montrer mon nom sur mes contributions et ma page (sinon, seulement ma structure)"))
