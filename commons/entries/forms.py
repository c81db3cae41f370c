"""Entry forms. Field checks reuse the service validators so that the form shows every
problem at once, with the same French messages the services raise."""
from __future__ import annotations

from urllib.parse import parse_qsl

from flask import Request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import ValidationError

from commons.database import get_by_id, parse_int
from commons.editions.models import Edition, Workshop
from commons.entries import services
from commons.entries.models import BODY_MAX, SUMMARY_MAX, TITLE_MAX
from commons.errors import ServiceError
from commons.kinds import EntryKind

BODY_HINT = _l(
    "Mise en forme Markdown : **gras**, *italique*, listes commençant par « - », "
    "titres commençant par « ## », liens [texte](https://exemple.fr). Le HTML n'est pas interprété."
)
TAGS_HINT = _l(
    "Séparées par des virgules, par exemple : accueil, parentalité numérique. Majuscules, accents "
    "et espaces ne comptent pas : « Parentalité » et « parentalite » sont la même étiquette."
)


def place_value(edition_id: int, workshop_id: int | None) -> str:
    """The value of the "where" select: `w<id>` for a workshop, `e<id>` for the edition as a whole."""
    return f"w{workshop_id}" if workshop_id else f"e{edition_id}"


def place_choices(editions: list[Edition]) -> dict[str, list[tuple[str, str]]]:
    """Workshops grouped by edition (one <optgroup> per edition)."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for edition in editions:
        options = [(place_value(edition.id, None), _("%(edition)s — toute l'édition, sans atelier précis",
                                                    edition=edition.name))]
        options += [(place_value(edition.id, w.id), w.title) for w in edition.workshops]
        groups[edition.name] = options
    return groups


def malformed_fields(request: Request) -> set[str] | None:
    """Names of url-encoded fields whose bytes are not UTF-8; None when the body is unreadable.

    Werkzeug keeps an undecodable `%FF` as the literal text "%FF" (and drops a body with
    raw non-UTF-8 bytes entirely), so without this check bad bytes would be saved as text
    or the whole submission silently lost.
    """
    if request.mimetype != "application/x-www-form-urlencoded":
        return set()  # multipart values arrive with U+FFFD, which the validators refuse
    raw = request.get_data(cache=True)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    bad = set()
    for pair in text.split("&"):
        name, _sep, value = pair.partition("=")
        try:
            parse_qsl(f"x={value}", errors="strict", keep_blank_values=True)
        except UnicodeDecodeError:
            bad.add(parse_qsl(f"{name}=", keep_blank_values=True)[0][0] if name else "")
    return bad


def _service_check(check):
    """Turn a service validator into a WTForms inline validator."""

    def validate(form, field):
        try:
            check(field.data or "")
        except ServiceError as exc:
            raise ValidationError(str(exc)) from exc

    return validate


class EntryForm(FlaskForm):
    body_hint = BODY_HINT
    tags_hint = TAGS_HINT

    kind = SelectField(_l("Nature"), validate_choice=False)
    title = StringField(_l("Titre"), render_kw={"maxlength": TITLE_MAX, "autocomplete": "off"},
                        validators=[_service_check(services.validate_title)])
    body = TextAreaField(_l("Texte"), render_kw={"rows": 14, "maxlength": BODY_MAX, "spellcheck": "true"},
                         validators=[_service_check(services.validate_body)])
    tags = StringField(_l("Étiquettes"), render_kw={"autocomplete": "off"},
                       validators=[_service_check(services.parse_tags)])
    workshop = SelectField(_l("Édition et atelier"), validate_choice=False)
    summary = StringField(_l("Résumé de la modification (facultatif)"), render_kw={"maxlength": SUMMARY_MAX},
                          validators=[_service_check(services.validate_summary)])

    def __init__(self, *args, editions: list[Edition], malformed: set[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [("", _("— Choisir une nature —"))] + [(k.value, k.label) for k in EntryKind]
        self.workshop.choices = place_choices(editions)
        self._malformed = malformed or set()

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        message = _("Ce champ contient des octets qui ne sont pas de l'UTF-8 valide : vérifiez l'encodage du texte.")
        for name in sorted(self._malformed):
            target = self[name] if name in self else None
            if target is not None:
                target.errors.append(message)
            else:
                self.form_errors.append(message)
            ok = False
        return ok

    def validate_kind(self, field):
        if EntryKind.from_value(field.data) is None:
            raise ValidationError(_("Choisissez une nature parmi les six proposées."))

    def validate_workshop(self, field):
        if self.resolve_place() is None:
            raise ValidationError(_("Choisissez une édition ou un atelier dans la liste."))

    @property
    def entry_kind(self) -> EntryKind:
        return EntryKind(self.kind.data)

    def resolve_place(self) -> tuple[Edition, Workshop | None] | None:
        """The edition and workshop the select names, or None when it names nothing known."""
        value = self.workshop.data or ""
        number = parse_int(value[1:])
        if value[:1] not in ("e", "w") or number is None:
            return None
        if value[0] == "e":
            edition = get_by_id(Edition, number)
            return (edition, None) if edition is not None else None
        workshop = get_by_id(Workshop, number)
        return (workshop.edition, workshop) if workshop is not None else None


class CreateEntryForm(EntryForm):
    parent = HiddenField(_l("Fiche parente"))


class EditEntryForm(EntryForm):
    base_revision = HiddenField(_l("Version de départ"))

    def validate_base_revision(self, field):
        if self.base_number() is None:
            raise ValidationError(_("Le numéro de la version de départ est invalide. "
                                    "Rechargez la page de modification : votre texte est conservé ci-dessous."))

    def base_number(self) -> int | None:
        return parse_int((self.base_revision.data or "").strip())


class RevertForm(FlaskForm):
    """Only the revision the user saw as current: reverting on a moved entry is a conflict."""

    base_revision = HiddenField()
