"""What every area's forms share: the e-mail and seats fields, input attributes, where a refusal shows.

One address is checked the same way everywhere, and a rule's refusal is shown the same way
everywhere: next to the field it names (``DomainError.field``), else above the form.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast, overload

from flask import request
from markupsafe import Markup, escape
from wtforms import EmailField, Field, Form, IntegerField
from wtforms.validators import DataRequired, Email, Length

from .i18n import lazy_gettext as _l
from .metrics import count_refusal
from .services.errors import DomainError

T = TypeVar("T")


def strip_text(value: object) -> object:
    """Drop the spaces a paste brings around an address."""
    return value.strip() if isinstance(value, str) else value


def given(value: T | None) -> T:
    """The value of a field its validators require, after ``validate_on_submit()``.

    WTForms types every field's data as optional; a required field that passed its
    validators holds a value, and reading one before validation is a bug worth a 500.
    """
    if value is None:
        raise ValueError("a required form field was read before its validators ran")
    return value


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


class ReadableIntegerField(IntegerField):
    """An integer field whose parse error is a sentence of ours, not WTForms' default."""

    parse_error: Any  # a lazy string, set by each subclass

    def process_formdata(self, valuelist: list[str]) -> None:
        """Parse the number, with the field's own message for anything else."""
        if not valuelist or valuelist[0].strip() == "":
            self.data = None
            return
        try:
            self.data = int(valuelist[0].strip())
        except ValueError:
            self.data = None
            raise ValueError(self.parse_error) from None


class SeatsField(ReadableIntegerField):
    """A number of seats."""

    parse_error = _l("Indiquez un nombre de places (un nombre entier).")


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


def input_field(
    field: Field,
    hint: str | None = None,
    autocomplete: str | None = None,
    inputmode: str | None = None,
    extra: Mapping[str, object] | None = None,
) -> Markup | None:
    """A text input or text area with its label, hint and error: ``field()`` of _forms.html.

    Written here rather than in the macro: the macro's every ``set`` and test cost more
    than the rest of the booking panel, which answers every refused booking. The elements
    are the macro's own, one per line; every value is escaped. None back: not a text
    input (a select, a checkbox…), which the macro writes itself.
    """
    input_type = getattr(field.widget, "input_type", None)
    textarea = field.type == "TextAreaField"
    if not textarea and (not input_type or input_type in ("checkbox", "radio", "submit")):
        return None
    field_id = escape(field.id)
    errors = field.errors
    described = " ".join(
        [*([f"{field.id}-hint"] if hint else []), *([f"{field.id}-error"] if errors else [])]
    )
    attributes: dict[str, object] = {"class": "field__input", "id": field.id, "name": field.name}
    attributes.update(extra or {})
    attributes.update(
        {
            "aria-describedby": described or None,
            "aria-invalid": "true" if errors else None,
            "autocomplete": autocomplete,
            "inputmode": inputmode,
        }
    )
    parts = [
        f'<div class="field{" field--error" if errors else ""}">',
        f'<label class="field__label" for="{field_id}">{escape(field.label.text)}</label>',
    ]
    if hint:
        parts.append(f'<p class="field__hint" id="{field_id}-hint">{escape(hint)}</p>')
    if errors:
        parts.append(
            f'<p class="field__error" id="{field_id}-error">{Markup(" ").join(errors)}</p>'
        )
    if textarea:
        value = escape(cast(Any, field)._value())
        parts.append(f"<textarea{html_attributes(attributes)}>{value}</textarea>")
    else:
        attributes.setdefault("type", input_type)
        if input_type != "password":
            attributes["value"] = cast(Any, field)._value()
        parts.append(f"<input{html_attributes(attributes)}>")
    parts.append("</div>")
    return Markup("\n".join(parts))  # noqa: S704 (every value escaped above)


@overload
def show_refusal(form: None, error: DomainError) -> str: ...
@overload
def show_refusal(form: Form, error: DomainError) -> str | None: ...
def show_refusal(form: Form | None, error: DomainError) -> str | None:
    """Put a rule's refusal next to the field it names; else return it for the form as a whole.

    The error declares its field (``DomainError.field``), so a refusal reads the same on
    every form that has that field. ``None`` back: the message is in place; otherwise the
    caller shows the returned message above the form (a page that redirects passes no
    form and flashes the message: a field's error would not survive the redirect).
    """
    count_refusal(error)
    message = error.message()
    if form is not None and error.field is not None and error.field in form:
        field = form[error.field]
        field.errors = [*field.errors, message]
        return None
    return message


def typed_answers() -> dict[int, str]:
    """What a booking form's question fields hold (``question-<id>``), as typed.

    Only parsed here: the service checks them against the event's questions.
    """
    answers = {}
    for name, value in request.form.items():
        number = name.removeprefix("question-")
        if number != name and number.isdigit() and len(number) < 12:
            answers[int(number)] = value
    return answers
