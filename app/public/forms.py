"""Forms of the public area, with French messages next to each field."""

from __future__ import annotations

import secrets
import unicodedata

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from ..forms import ReadableIntegerField, SeatsField, email_field, strip_text
from ..i18n import lazy_gettext as _l


class SeatsInRange:
    """Check the party size against ``BOOKING_MAX_SEATS`` at validation time."""

    def __call__(self, form: FlaskForm, field: IntegerField) -> None:
        """Refuse zero, negative and too many seats with one clear message.

        A group's booking (a ``group_code`` sent) is bounded by its hold, not by the
        per-booking maximum: the service checks it against the seats still held.
        """
        if "group_code" in form and form.group_code.data:
            if field.data is None or field.data < 1:
                raise ValidationError(_l("Indiquez le nombre de places."))
            return
        maximum = int(current_app.config["BOOKING_MAX_SEATS"])
        if field.data is None or not 1 <= field.data <= maximum:
            raise ValidationError(_l("Choisissez entre 1 et %(max)d places.", max=maximum))


class NoControlCharacters:
    """Refuse invisible control characters (an escape sequence, a NUL…) in typed text.

    Names end up in e-mails, CSV exports and the door list: nothing there should carry
    characters a keyboard does not type. Line breaks and tabs are allowed where a field
    spans several lines.
    """

    def __init__(self, multiline: bool = False) -> None:
        self.allowed = {"\n", "\r", "\t"} if multiline else set()

    def __call__(self, form: FlaskForm, field: StringField) -> None:
        """Raise a readable error when the value holds a control character."""
        value = field.data or ""
        if any(unicodedata.category(char) == "Cc" and char not in self.allowed for char in value):
            raise ValidationError(_l("Ce champ contient des caractères non autorisés."))


class SessionIdsField(Field):
    """Session ids ticked in a list of checkboxes; anything but ids is a readable error."""

    data: list[int]

    def process_formdata(self, valuelist: list[str]) -> None:
        """Keep the ids in the order sent, once each."""
        ids: list[int] = []
        for value in valuelist:
            text = value.strip()
            if not text.isdigit() or len(text) > 12:
                self.data = []
                raise ValueError(_l("Choisissez des séances dans la liste."))
            if int(text) not in ids:
                ids.append(int(text))
        self.data = ids

    def _value(self) -> str:
        return ""


class AdultsField(ReadableIntegerField):
    """How many of a group's seats are for accompanying adults."""

    parse_error = _l("Indiquez un nombre d’adultes (un nombre entier).")


class BookingForm(FlaskForm):
    """Book seats for a party: who, how to reach them, how many seats."""

    name = StringField(
        _l("Nom et prénom"),
        validators=[
            DataRequired(_l("Indiquez votre nom.")),
            Length(max=120, message=_l("Le nom ne doit pas dépasser 120 caractères.")),
            NoControlCharacters(),
        ],
        filters=[strip_text],
    )
    email = email_field(_l("Adresse e-mail"), _l("Indiquez votre adresse e-mail."))
    seats = SeatsField(
        _l("Nombre de places"),
        default=1,
        validators=[InputRequired(_l("Indiquez le nombre de places.")), SeatsInRange()],
    )
    phone = StringField(
        _l("Téléphone (facultatif)"),
        validators=[
            Optional(),
            Length(max=40, message=_l("Ce numéro est trop long.")),
            NoControlCharacters(),
        ],
    )
    accessibility_needs = TextAreaField(
        _l("Besoins d’accessibilité (facultatif)"),
        validators=[
            Optional(),
            Length(max=1000, message=_l("Merci de rester sous 1 000 caractères.")),
            NoControlCharacters(multiline=True),
        ],
    )
    nonce = HiddenField(default=lambda: secrets.token_urlsafe(16))
    # "book" (the default) or "waitlist": the second submit button of a full session.
    action = HiddenField(default="book")
    # Joining a waiting list: the event's other sessions to wait on as well.
    also = SessionIdsField(default=list)

    # A group's code (from the organisers' link or typed), and its accompanying adults.
    group_code = StringField(
        _l("Code de groupe (facultatif)"),
        validators=[
            Optional(),
            Length(max=80, message=_l("Ce code est trop long.")),
            NoControlCharacters(),
        ],
        filters=[strip_text],
    )
    adults = AdultsField(_l("Dont adultes accompagnateurs"), default=0, validators=[Optional()])

    def validate_nonce(self, field: HiddenField) -> None:
        """Drop an implausible nonce rather than store it."""
        if field.data and len(field.data) > 64:
            field.data = None


class ReduceForm(FlaskForm):
    """Change a party's size (the services check the range against the booking).

    ``wait``: the visitor asks to wait for the extra seats that are not free now.
    """

    seats = SeatsField(
        _l("Nouveau nombre de places"),
        validators=[InputRequired(_l("Indiquez le nombre de places."))],
    )
    wait = HiddenField(default="")


class EraseForm(FlaskForm):
    """Erase one's own data: nothing but the CSRF token, the button is the decision."""


class SessionChoiceField(ReadableIntegerField):
    """The session a booking moves to."""

    parse_error = _l("Choisissez une séance dans la liste.")


class MoveForm(FlaskForm):
    """Move a booking to another session of its event; ``wait``: or wait for a seat there."""

    session_id = SessionChoiceField(
        _l("Nouvelle séance"), validators=[InputRequired(_l("Choisissez une séance."))]
    )
    wait = HiddenField(default="")
