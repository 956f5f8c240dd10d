"""Language choice, translation, and the date, time and seat formatting shown to people.

Every translated string goes through ``gettext``, ``ngettext`` and ``lazy_gettext`` from
here (services, forms, views) or the same functions installed in Jinja (templates): they
read the catalogue once per request instead of once per string, as Flask-Babel's do.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from babel.support import NullTranslations
from flask import Flask, current_app, g, has_app_context, request, session, url_for
from flask_babel import format_date, format_datetime, get_locale, get_translations
from flask_babel.speaklater import LazyString
from markupsafe import Markup

from .extensions import babel
from .timeutil import paris

NNBSP = "\u202f"  # narrow no-break space, as French typography wants before : ; ! ?


LANGUAGE_COOKIE_DAYS = 365


def language_cookie_name() -> str:
    """``__Host-lang`` over HTTPS (bound to this exact host, never sent in clear), else ``lang``."""
    return "__Host-lang" if current_app.config.get("SESSION_COOKIE_SECURE") else "lang"


def select_locale() -> str:
    """Pick the interface language: the visitor's choice, else the browser's, else French.

    The choice made with the switch lives in its own long-lived cookie, so that it
    outlasts the browser session; staff accounts may still carry one in their session.
    """
    languages = current_app.config["LANGUAGES"]
    if not request:
        return languages[0]
    chosen = request.cookies.get(language_cookie_name()) or session.get("lang")
    if chosen is not None and chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages, default=languages[0])


def same_site_path(target: str | None, default: str = "/") -> str:
    """Return ``target`` if it is a path on this site, else ``default``.

    Used wherever a page sends people back to where they came from (the language switch,
    the sign-in's ``next``); it must never become an open redirect. Browsers read a
    backslash as a slash and drop tabs and newlines, so ``/\\evil.example`` and
    ``/<tab>/evil.example`` mean ``//evil.example`` to them; an encoded ``%5C`` or ``%2F``
    may be decoded once more by a proxy or a later redirect, so the decoded form must pass
    the same test.
    """
    if not target:
        return default
    candidate = target
    for _ in range(3):  # a few rounds of decoding; what still changes after that is refused
        if not _is_local_path(candidate):
            return default
        decoded = unquote(candidate)
        if decoded == candidate:
            return target
        candidate = decoded
    return default


def _is_local_path(target: str) -> bool:
    """A path of this site: one leading slash, no authority, scheme, backslash or control."""
    if not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(char) < 0x20 or ord(char) == 0x7F for char in target):
        return False
    parts = urlsplit(target)
    return not (parts.scheme or parts.netloc)


def content_lang() -> Markup:
    """`` lang="fr"`` on organisers' text (titles, descriptions) when the interface is not French.

    The programme is written in French; a screen reader reading an English page must
    switch voices for it (WCAG 3.1.2, language of parts).
    """
    return Markup("") if current_language() == "fr" else Markup(' lang="fr"')


def switch_language_url(language: str) -> str:
    """The link that switches to ``language`` and comes back to the current page."""
    here = request.full_path.rstrip("?") if request.method == "GET" else request.path
    return url_for("public.choose_language", language=language, next=here)


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


def ordinal(number: int) -> str:
    """« 2e », « 3e » in French; "2nd", "3rd" in English."""
    if current_language() == "fr":
        return "1re" if number == 1 else f"{number}e"
    suffix = (
        "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    )
    return f"{number}{suffix}"


def request_translations() -> NullTranslations:
    """The catalogue of the language in force, looked up once per request and language.

    Flask-Babel finds the catalogue anew for every string, a dozen calls each time; a page
    has dozens of strings. The catalogue is kept with the locale it belongs to, so that
    ``force_locale`` (mail in the booker's language) still gets the right one.
    """
    if not has_app_context():
        return get_translations()  # Flask-Babel's no-op catalogue
    locale = get_locale()
    kept = g.get("_catalogue")
    if kept is None or kept[0] is not locale:
        kept = g._catalogue = (locale, get_translations())
    return kept[1]


def gettext(string: str, **variables: Any) -> str:
    """Flask-Babel's ``gettext``, through the per-request catalogue."""
    translated = request_translations().ugettext(string)
    return translated % variables if variables else translated


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    """Flask-Babel's ``ngettext`` (``%(num)d`` is always there), through the per-request catalogue."""
    variables.setdefault("num", num)
    return request_translations().ungettext(singular, plural, num) % variables


def lazy_gettext(string: str, **variables: Any) -> LazyString:
    """Flask-Babel's ``lazy_gettext``, translated through the per-request catalogue.

    Form labels and messages are lazy strings: a booking form shows a dozen of them each
    time it is answered.
    """
    return LazyString(gettext, string, **variables)


def init_i18n(app: Flask) -> None:
    """Set up Flask-Babel; templates get the same functions from ``init_templating``."""
    babel.init_app(app, locale_selector=select_locale)
