"""The participants' answer form: one radio group per choice question, a comment, a consent."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, TextAreaField

from commons.feedback.questions import COMMENT_MAX, QUESTIONS
from commons.forms import opts


class ChoiceField(RadioField):
    def pre_validate(self, form):
        # The service refuses a missing or unknown choice with a French message naming the question.
        pass


class AnswerForm(FlaskForm):
    comment = TextAreaField(_l("Un commentaire, une suggestion ?"), render_kw={"maxlength": COMMENT_MAX, "rows": 5})
    is_publishable = BooleanField(_l("J'accepte que mon commentaire soit publié, sans mon nom, dans le bilan de "
                                     "l'édition."))


for _question in QUESTIONS:
    setattr(AnswerForm, _question.key, ChoiceField(_question.label, choices=opts(
        [(value, label) for value, label in _question.choices]), validate_choice=False))
