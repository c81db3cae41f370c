"""Form glue shared by every domain: choices, check boxes, bounded integers, service errors."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, SelectMultipleField, StringField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from commons.database import ID_MAX, parse_int
from commons.errors import ServiceError

INVALID_CHOICE = _l("Ce choix n'est pas proposé.")


def opts(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms 3.3 wants them (tuples are deprecated)."""
    return [SelectChoice(value=value, label=label) for value, label in pairs]


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def pre_validate(self, form):
        # Choices are the rows on screen; one that vanished meanwhile is reported by the
        # service, in French, rather than as "not a valid choice".
        pass


class EmptyForm(FlaskForm):
    """Buttons that change something still need a CSRF token."""


class BoundedIntegerField(StringField):
    """A whole number typed in a form, read like an id in a URL (`parse_int`).

    WTForms' IntegerField accepts any length, and NumberRange then converts the number to a
    float to test for NaN: 310 digits overflow and answer a 500. Here the value is ASCII digits
    between `minimum` and `maximum`, or the field fails with `message`.
    """

    def __init__(self, label=None, validators=None, *, minimum: int = 1, maximum: int = ID_MAX,
                 message=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.minimum, self.maximum = minimum, maximum
        self.message = message or _l("Indiquez un nombre entier.")
        self.number: int | None = None

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.number = parse_int((self.data or "").strip(), minimum=self.minimum)
        if self.number is not None and self.number > self.maximum:
            self.number = None

    def process_data(self, value):
        super().process_data(None if value is None else str(value))
        self.number = value if isinstance(value, int) else None

    def pre_validate(self, form):
        if (self.data or "").strip() and self.number is None:
            raise ValidationError(str(self.message))


def attach_error(form: FlaskForm, error: ServiceError, aliases: dict[str, str] | None = None) -> None:
    """Show a service's refusal on the form: under the field it names, else above the form.
    `aliases` maps a service's field name to the form's (a hidden parent → the visible select)."""
    name = (aliases or {}).get(error.field, error.field)
    field: Field | None = form[name] if name and name in form else None
    if field is not None:
        field.errors = [*field.errors, str(error)]
    else:
        form.form_errors.append(str(error))
