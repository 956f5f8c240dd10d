"""Form fields shared by several areas, so that one address is checked the same way everywhere."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField
from wtforms.validators import DataRequired, Email, Length


def strip_text(value: object) -> object:
    """Drop the spaces a paste brings around an address."""
    return value.strip() if isinstance(value, str) else value


def email_field(label: str, missing: str) -> EmailField:
    """A required e-mail address of at most 254 characters, with French messages.

    ``label`` and ``missing`` (the message for an empty field) are lazy strings.
    """
    return EmailField(
        label,
        validators=[
            DataRequired(missing),
            Length(max=254, message=_l("Cette adresse e-mail est trop longue.")),
            Email(_l("Cette adresse e-mail n’est pas valide (exemple : nom@exemple.fr).")),
        ],
        filters=[strip_text],
    )
