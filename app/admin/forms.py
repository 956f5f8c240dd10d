"""Forms of the dashboard, with French messages next to each field."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    FloatField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from ..public.forms import SeatsField

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def choices(pairs: Iterable[tuple[object, str]]) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


class ConfirmForm(FlaskForm):
    """A form with nothing but its CSRF token: the button is the decision."""


class CapacityForm(FlaskForm):
    """Change a session's capacity."""

    capacity = IntegerField(
        _l("Capacité"),
        validators=[
            InputRequired(_l("Indiquez une capacité.")),
            NumberRange(min=0, max=5000, message=_l("Entre 0 et 5 000 places.")),
        ],
    )


class PhoneBookingForm(FlaskForm):
    """A booking taken by phone or at the desk."""

    name = StringField(
        _l("Nom et prénom"), validators=[DataRequired(_l("Indiquez le nom.")), Length(max=120)]
    )
    email = EmailField(
        _l("Adresse e-mail"),
        validators=[
            DataRequired(_l("Indiquez une adresse e-mail pour la confirmation.")),
            Length(max=254),
            Email(_l("Cette adresse e-mail n’est pas valide.")),
        ],
    )
    phone = StringField(_l("Téléphone"), validators=[Optional(), Length(max=40)])
    seats = SeatsField(
        _l("Nombre de places"),
        default=1,
        validators=[InputRequired(_l("Indiquez le nombre de places."))],
    )
    accessibility_needs = TextAreaField(
        _l("Besoins d’accessibilité"), validators=[Optional(), Length(max=1000)]
    )


class MoveForm(FlaskForm):
    """Move a booking to another session of the same event."""

    target = SelectField(_l("Nouvelle séance"), coerce=int, validators=[InputRequired()])


class PriorityForm(FlaskForm):
    """Change a waiting party's priority, with a reason."""

    priority = IntegerField(
        _l("Priorité"),
        validators=[
            InputRequired(_l("Indiquez une priorité.")),
            NumberRange(min=-100, max=100, message=_l("Entre -100 et 100.")),
        ],
    )
    reason = StringField(
        _l("Raison"),
        validators=[DataRequired(_l("Indiquez la raison de ce changement.")), Length(max=300)],
    )


class DuplicateForm(FlaskForm):
    """Repeat a session at another time."""

    starts_at = DateTimeLocalField(
        _l("Début de la nouvelle séance"),
        format=DATETIME_FORMAT,
        validators=[InputRequired(_l("Indiquez une date et une heure."))],
    )


class SessionForm(FlaskForm):
    """Create or edit a session (times are Paris time)."""

    starts_at = DateTimeLocalField(
        _l("Début"), format=DATETIME_FORMAT, validators=[InputRequired(_l("Indiquez le début."))]
    )
    ends_at = DateTimeLocalField(
        _l("Fin"), format=DATETIME_FORMAT, validators=[InputRequired(_l("Indiquez la fin."))]
    )
    capacity = IntegerField(
        _l("Capacité"),
        validators=[
            InputRequired(_l("Indiquez une capacité.")),
            NumberRange(min=0, max=5000, message=_l("Entre 0 et 5 000 places.")),
        ],
    )
    booking_opens_at = DateTimeLocalField(
        _l("Ouverture des réservations (facultatif)"),
        format=DATETIME_FORMAT,
        validators=[Optional()],
    )
    booking_closes_at = DateTimeLocalField(
        _l("Clôture des réservations (facultatif)"), format=DATETIME_FORMAT, validators=[Optional()]
    )
    note = StringField(_l("Note publique"), validators=[Optional(), Length(max=300)])

    def validate_ends_at(self, field: DateTimeLocalField) -> None:
        """The end comes after the start."""
        from wtforms.validators import ValidationError

        if self.starts_at.data and field.data and field.data <= self.starts_at.data:
            raise ValidationError(_l("La fin doit être après le début."))


class EventForm(FlaskForm):
    """Create or edit an event."""

    title = StringField(
        _l("Titre"), validators=[DataRequired(_l("Indiquez un titre.")), Length(max=200)]
    )
    kind = SelectField(_l("Type"), validators=[InputRequired()])
    venue_id = SelectField(_l("Lieu"), coerce=int, validators=[InputRequired()])
    summary = StringField(_l("Résumé"), validators=[Optional(), Length(max=300)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    speakers = StringField(_l("Intervenants"), validators=[Optional(), Length(max=300)])
    organisers = StringField(_l("Avec (partenaires)"), validators=[Optional(), Length(max=300)])
    accessibility_notes = TextAreaField(
        _l("Accessibilité"), validators=[Optional(), Length(max=2000)]
    )
    distance_km = FloatField(
        _l("Distance (km, randonnées)"), validators=[Optional(), NumberRange(min=0, max=100)]
    )
    difficulty = SelectField(_l("Difficulté (randonnées)"), validators=[Optional()])
    waitlist_auto = BooleanField(
        _l("Proposer automatiquement les places libérées à la liste d’attente"), default=True
    )


class MessageForm(FlaskForm):
    """An e-mail to the people of a session or an event."""

    audience = SelectField(
        _l("Destinataires"),
        choices=choices(
            [
                ("attendees", _l("Les personnes inscrites")),
                ("waitlist", _l("La liste d’attente")),
                ("both", _l("Les deux")),
            ]
        ),
    )
    subject = StringField(
        _l("Objet"), validators=[DataRequired(_l("Indiquez un objet.")), Length(max=200)]
    )
    body = TextAreaField(
        _l("Message"), validators=[DataRequired(_l("Écrivez le message.")), Length(max=5000)]
    )


class StaffForm(FlaskForm):
    """Create a staff account (admins only)."""

    email = EmailField(
        _l("Adresse e-mail"),
        validators=[
            DataRequired(_l("Indiquez une adresse e-mail.")),
            Email(_l("Cette adresse e-mail n’est pas valide.")),
            Length(max=254),
        ],
    )
    name = StringField(_l("Nom"), validators=[Optional(), Length(max=120)])
    role = SelectField(_l("Rôle"), validators=[InputRequired()])
    password = StringField(
        _l("Mot de passe (10 caractères au moins)"),
        validators=[
            DataRequired(_l("Indiquez un mot de passe.")),
            Length(
                min=10, max=200, message=_l("Le mot de passe doit faire au moins 10 caractères.")
            ),
        ],
    )
