"""Language choice and the date, time and seat formatting shown to people."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, current_app, request, session
from flask_babel import format_date, format_datetime, get_locale, ngettext

from .extensions import babel
from .timeutil import paris

NNBSP = "\u202f"  # narrow no-break space, as French typography wants before : ; ! ?


def select_locale() -> str:
    """Pick the interface language: the visitor's choice, else the browser's, else French."""
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("lang") if request else None
    if chosen in languages:
        return chosen
    if request:
        return request.accept_languages.best_match(languages, default=languages[0])
    return languages[0]


def current_language() -> str:
    """Return the active language code (``fr`` or ``en``)."""
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def colon() -> str:
    """The colon after a label: « Date : » in French, "Date:" in English."""
    return f"{NNBSP}:" if current_language() == "fr" else ":"


def clock(moment: datetime) -> str:
    """Format a time of day: « 14 h », « 12 h 45 » in French; "2 pm", "12:45 pm" in English."""
    local = paris(moment)
    if current_language() == "fr":
        return (
            f"{local.hour}\u00a0h"
            if local.minute == 0
            else f"{local.hour}\u00a0h\u00a0{local.minute:02d}"
        )
    return format_datetime(moment, "h a" if local.minute == 0 else "h:mm a").lower()


def day_heading(day: date) -> str:
    """Format a day as « mardi 23 mai » / "Tuesday 23 May"."""
    return format_date(day, "EEEE d MMMM")


def short_day(moment: datetime) -> str:
    """A session's day in a few letters: « mar. 26 mai » / "Tue 26 May"."""
    return format_date(paris(moment).date(), "EEE d MMM")


def full_date(moment: datetime) -> str:
    """Format a session start as « mardi 23 mai, 14 h »."""
    return f"{day_heading(paris(moment).date())}, {clock(moment)}"


def iso_local(moment: datetime) -> str:
    """ISO 8601 with the Paris offset, for ``<time datetime>`` and the API."""
    return paris(moment).isoformat(timespec="seconds")


def seats_phrase(count: int) -> str:
    """« 1 place », « 12 places »."""
    return ngettext("%(num)d place", "%(num)d places", count)


def init_i18n(app: Flask) -> None:
    """Set up Flask-Babel and the template filters."""
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.filters.update(
        clock=clock,
        day_heading=day_heading,
        full_date=full_date,
        short_day=short_day,
        iso_local=iso_local,
        seats_phrase=seats_phrase,
    )
    app.jinja_env.globals["current_language"] = current_language
    app.jinja_env.globals["colon"] = colon
