"""Form fields shared by several areas, so that one address is checked the same way everywhere."""

from __future__ import annotations

from collections.abc import Mapping

from markupsafe import Markup, escape
from wtforms import EmailField
from wtforms.validators import DataRequired, Email, Length

from .i18n import lazy_gettext as _l


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


def html_attributes(attributes: Mapping[str, object]) -> Markup:
    """`` name="value"`` for each attribute of a tag, values escaped.

    ``True`` writes the name alone (``required``); ``False`` and ``None`` leave it out.
    Names come from our templates, never from input. One call per input, where a Jinja
    loop cost a macro call and a test per attribute on every form shown.
    """
    parts = []
    for name, value in attributes.items():
        if value is None or value is False:
            continue
        parts.append(f" {name}" if value is True else f' {name}="{escape(value)}"')
    return Markup("".join(parts))  # noqa: S704 (every value escaped above)
