"""Forms of a workshop's resources page."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FileField, HiddenField, StringField
from wtforms.validators import Optional

from commons.resources.models import TITLE_MAX, URL_MAX


class LinkForm(FlaskForm):
    # Lengths and rules are the service's (commons/resources/services.py), in one place.
    # Both forms share a page: their fields need ids of their own (one label, one field).
    title = StringField(_l("Titre du lien"), id="link-title", render_kw={"maxlength": TITLE_MAX})
    url = StringField(_l("Adresse (https://…)"), id="link-url", render_kw={"maxlength": URL_MAX, "inputmode": "url"})


class UploadForm(FlaskForm):
    title = StringField(_l("Titre du document (facultatif : son nom de fichier sinon)"), validators=[Optional()],
                        id="upload-title", render_kw={"maxlength": TITLE_MAX})
    file = FileField(_l("Fichier"), id="upload-file")


class MoveForm(FlaskForm):
    direction = HiddenField()
