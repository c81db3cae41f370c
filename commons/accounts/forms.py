from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    email = EmailField(_l("Adresse électronique"), validators=[
        DataRequired(_l("Indiquez votre adresse électronique.")), Length(max=254)])
    password = PasswordField(_l("Mot de passe"), validators=[DataRequired(_l("Indiquez votre mot de passe."))])
    remember = BooleanField(_l("Rester connecté·e sur cet appareil"))
    next = HiddenField()

