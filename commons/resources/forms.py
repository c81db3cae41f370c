"""Forms of a workshop's resources page."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FileField, HiddenField, StringField
from wtforms.validators import Optional

from commons.resources.models import TITLE_MAX, URL_MAX


class LinkForm(FlaskForm):
    # Lengths and rules are the service's (commons/resources/services.py), in one place.
    title = StringField(_l("Titre du lien"), render_kw={"maxlength": TITLE_MAX})
    url = StringField(_l("Adresse (https://…)"), render_kw={"maxlength": URL_MAX, "inputmode": "url"})


class UploadForm(FlaskForm):
    title = StringField(_l("Titre du document (facultatif : son nom de fichier sinon)"), validators=[Optional()],
                        render_kw={"maxlength": TITLE_MAX})
    file = FileField(_l("Fichier"))


class MoveForm(FlaskForm):
    direction = HiddenField()
