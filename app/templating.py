"""Everything templates can call beyond their context: one list, registered once.

A name a template uses that is not in its view's context comes from here: the
translation functions, the filters, and the globals (labels, formatting, asset links).
Blueprints register none of their own.
"""

from __future__ import annotations

import re
from itertools import cycle

from flask import Flask, url_for
from markupsafe import Markup, escape

from . import labels
from .assets import asset_url, htmx_script
from .forms import html_attributes, input_field
from .i18n import (
    clock,
    colon,
    content_lang,
    current_language,
    day_heading,
    full_date,
    iso_local,
    ordinal,
    request_translations,
    seats_phrase,
    short_day,
    switch_language_url,
)
from .models import EventSession, SpecimenImage
from .services.programme import Availability, availability, few_seats_threshold, list_sessions

# A run of digits right after an element symbol or a closing bracket is an index: FeS2.
FORMULA_INDEX = re.compile(r"(?<=[A-Za-z)\]])(\d+)")


def formula(text: str) -> Markup:
    """A chemical formula with its indices as subscripts: FeS2 → FeS<sub>2</sub>."""
    parts = FORMULA_INDEX.split(text)  # text, digits, text, digits…
    return Markup("").join(
        Markup("<sub>{}</sub>").format(part) if odd else escape(part)
        for odd, part in zip(cycle((False, True)), parts, strict=False)
    )


def meter_bounds(session: EventSession) -> dict[str, float]:
    """``low``/``high`` of the fill ``<meter>``: green, then amber for the last seats, red when full."""
    capacity = session.capacity or 1
    return {"low": capacity - few_seats_threshold(capacity) + 0.5, "high": capacity - 0.5}


def specimen_image_url(picture: SpecimenImage, size: str) -> str:
    """The public address of a picture's rendition."""
    return url_for("gallery.image", image_id=picture.id, digest=picture.digest, size=size)


def sessions_for_select() -> list[EventSession]:
    """All sessions, for the message form's choice of scope."""
    return list_sessions()


FILTERS = {
    "clock": clock,
    "day_heading": day_heading,
    "formula": formula,
    "full_date": full_date,
    "html_attributes": html_attributes,
    "iso_local": iso_local,
    "seats_phrase": seats_phrase,
    "short_day": short_day,
}

GLOBALS = {
    "Availability": Availability,
    "asset_url": asset_url,
    "availability": availability,
    "availability_label": labels.availability_label,
    "opening_label": labels.opening_label,
    "booking_status_label": labels.booking_status_label,
    "category_label": labels.category_label,
    "category_plural": labels.category_plural,
    "colon": colon,
    "content_lang": content_lang,
    "current_language": current_language,
    "difficulty_label": labels.difficulty_label,
    "htmx_script": htmx_script,
    "input_field": input_field,
    "kind_label": labels.kind_label,
    "kind_plural": labels.kind_plural,
    "meter_bounds": meter_bounds,
    "ordinal": ordinal,
    "sessions_for_select": sessions_for_select,
    "specimen_image_url": specimen_image_url,
    "switch_language_url": switch_language_url,
}


def init_templating(app: Flask) -> None:
    """Give ``app``'s templates the translation functions, the filters and the globals."""
    env = app.jinja_env
    env.add_extension("jinja2.ext.do")
    # The same catalogue as app/i18n.py's gettext; Jinja fills in the variables itself.
    # The i18n extension (added by Flask-Babel) attaches this method to the environment at
    # run time, which Jinja's Environment type does not declare.
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda string: request_translations().ugettext(string),
        ngettext=lambda singular, plural, n: request_translations().ungettext(singular, plural, n),
        pgettext=lambda context, string: request_translations().upgettext(context, string),
        npgettext=lambda context, singular, plural, n: request_translations().unpgettext(
            context, singular, plural, n
        ),
        newstyle=True,
    )
    env.filters.update(FILTERS)
    env.globals.update(GLOBALS)
