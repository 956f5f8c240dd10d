"""Forms of the dashboard, with French messages next to each field."""

from __future__ import annotations

from collections.abc import Iterable

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    FloatField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # WTForms 3.3, newer than its stubs
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from ..forms import SeatsField, email_field
from ..i18n import lazy_gettext as _l
from ..services.gallery import is_valid_inventory_number, normalise_inventory_number

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


class SpecimenForm(FlaskForm):
    """Create or edit a specimen of the collection (a first picture may come with it)."""

    inventory_number = StringField(
        _l("Numéro d’inventaire"), validators=[Optional(), Length(max=20)]
    )
    name = StringField(
        _l("Nom"), validators=[DataRequired(_l("Indiquez le nom du spécimen.")), Length(max=200)]
    )
    category = SelectField(_l("Catégorie"), validators=[InputRequired()])
    formula = StringField(_l("Formule chimique"), validators=[Optional(), Length(max=100)])
    locality = StringField(_l("Localité"), validators=[Optional(), Length(max=200)])
    region = StringField(_l("Région"), validators=[Optional(), Length(max=100)])
    age = StringField(_l("Âge géologique"), validators=[Optional(), Length(max=120)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    event_id = SelectField(_l("Présenté pendant"), coerce=int, validators=[InputRequired()])
    on_display = BooleanField(_l("Présenté au public"), default=True)
    image = FileField(_l("Photo (JPEG, PNG ou WebP)"))
    alt_text = StringField(_l("Texte alternatif de la photo"), validators=[Length(max=300)])

    def validate_inventory_number(self, field: StringField) -> None:
        """Letters, digits and dashes: the number is the specimen's address."""
        number = normalise_inventory_number(field.data or "")
        if number and not is_valid_inventory_number(number):
            raise ValidationError(
                _l("Lettres, chiffres et tirets seulement, par exemple MA-MIN-0012.")
            )
        field.data = number

    def validate_alt_text(self, field: StringField) -> None:
        """A picture needs a description for people who cannot see it."""
        if has_file(self.image) and not (field.data or "").strip():
            raise ValidationError(
                _l("Décrivez la photo en quelques mots pour les personnes qui ne la voient pas.")
            )


class SpecimenImageForm(FlaskForm):
    """Add a picture to a specimen."""

    image = FileField(
        _l("Photo (JPEG, PNG ou WebP)"),
        validators=[FileRequired(_l("Choisissez une image à envoyer."))],
    )
    alt_text = StringField(
        _l("Texte alternatif"),
        validators=[
            DataRequired(
                _l("Décrivez la photo en quelques mots pour les personnes qui ne la voient pas.")
            ),
            Length(max=300),
        ],
    )


class DisplayForm(FlaskForm):
    """Show (1) or hide (0) a specimen on the public pages."""

    on_display = SelectField(
        _l("Présenté au public"),
        choices=choices([("1", _l("Oui")), ("0", _l("Non"))]),
        validators=[InputRequired()],
    )


def has_file(field: FileField) -> bool:
    """True when a file was chosen in ``field``."""
    return bool(getattr(field.data, "filename", None))


class PrivacyExportForm(FlaskForm):
    """The address whose personal data an administrator exports (a GDPR access request)."""

    email = email_field(_l("Adresse e-mail de la personne"), _l("Indiquez l’adresse e-mail."))


WEEKDAY_CHOICES = (
    ("0", _l("lundi")),
    ("1", _l("mardi")),
    ("2", _l("mercredi")),
    ("3", _l("jeudi")),
    ("4", _l("vendredi")),
    ("5", _l("samedi")),
    ("6", _l("dimanche")),
)


class SeriesForm(FlaskForm):
    """Sessions from a rule. Plain text fields: services/series.py reads and checks them,
    for this form and the command alike, and names the field of each refusal."""

    first_day = StringField(_l("Premier jour"))
    last_day = StringField(_l("Dernier jour"))
    weekdays = SelectMultipleField(
        _l("Jours de la semaine"), choices=choices(WEEKDAY_CHOICES), validate_choice=False
    )
    times = StringField(_l("Heures de début"))
    minutes = StringField(_l("Durée (minutes)"))
    capacity = StringField(_l("Capacité de chaque séance"))
    booking_opens_at = StringField(_l("Ouverture des réservations (facultatif)"))
    close_minutes = StringField(_l("Clôture : minutes avant le début (facultatif)"))
    note = StringField(_l("Note publique (facultatif)"), validators=[Length(max=300)])


class OpeningForm(FlaskForm):
    """When booking opens for many sessions at once; empty: now."""

    booking_opens_at = StringField(_l("Ouverture des réservations"))


class NewEditionForm(FlaskForm):
    """Copy an edition onto a week of another year."""

    from_year = StringField(_l("Édition à recopier (année)"))
    week = StringField(_l("Un jour de la semaine de la nouvelle édition"))


class CancelDayScopeForm(FlaskForm):
    """What a bad day cancels: a day, an event, or both (read from the preview's GET)."""

    class Meta:
        """A GET that changes nothing: the confirmation's form carries the token."""

        csrf = False

    day = StringField(_l("Jour"))
    event_id = SelectField(_l("Activité"), validate_choice=False)


class CancelDayForm(FlaskForm):
    """The confirmation: the scope again, the sessions the preview showed, the word to send."""

    day = StringField(_l("Jour"))
    event_id = StringField(_l("Activité"))
    expected = StringField()
    note = TextAreaField(
        _l("Message aux personnes prévenues (facultatif)"), validators=[Length(max=2000)]
    )
