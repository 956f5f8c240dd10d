"""French first, English complete: every interface string has its translation."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po
from flask import render_template_string
from flask_babel import force_locale

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po"


def interface_strings() -> set[str]:
    """Every msgid marked in the code and templates, extracted as pybabel does."""
    method_map = [
        ("app/**.py", "python"),
        ("templates/**.html", "jinja2"),
        ("templates/**.txt", "jinja2"),
    ]
    jinja = {"extensions": "jinja2.ext.do"}
    options_map = {"templates/**.html": jinja, "templates/**.txt": jinja}
    # N_ and NP_ mark the texts that domain errors declare (app/services/errors.py).
    keywords = {
        **DEFAULT_KEYWORDS,
        "_l": None,
        "lazy_gettext": None,
        "N_": None,
        "NP_": (1, 2),
    }
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else tuple(message[:2]))
    return found


def test_every_interface_string_has_an_english_translation():
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle)
    missing = []
    for msgid in sorted(interface_strings(), key=str):
        entry = catalogue.get(msgid[0] if isinstance(msgid, tuple) else msgid)
        strings = entry.string if entry else ""
        complete = all(strings) if isinstance(strings, tuple) else bool(strings)
        if entry is None or entry.fuzzy or not complete:
            missing.append(msgid)
    assert missing == [], "run 'make extract' and translate: " + "; ".join(map(str, missing[:10]))


def test_the_programme_speaks_english_to_an_english_browser(client, make_session):
    make_session(capacity=12)
    html = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.8"}).get_data(as_text=True)
    assert 'lang="en"' in html
    assert "12 seats" in html and "Guided visit" in html
    french = client.get("/", headers={"Accept-Language": "fr-FR"}).get_data(as_text=True)
    assert 'lang="fr"' in french and "12 places" in french


def test_the_calendar_file_speaks_the_bookers_language(app, make_session):
    from flask_babel import force_locale

    from app.extensions import db
    from app.services import booking as booking_service
    from app.services.tickets import booking_ics

    session_id = make_session()
    with app.app_context():
        booking = booking_service.book(
            booking_service.BookingRequest(session_id, "Ann", "ann@example.org", 2, locale="en")
        )
        db.session.commit()
        with app.test_request_context(), force_locale("en"):
            ics = booking_ics(booking, "http://example.org/b/x").decode()
    assert "2 seats\\, ticket" in ics and "billet" not in ics


def test_french_plurals_follow_french_rules():
    """French says « 0 place » (zero is singular): every plural needs its entry in the fr catalogue."""
    with (ROOT / "translations" / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalogue = read_po(handle, locale="fr")
    assert catalogue.plural_expr == "(n > 1)"
    plurals = {msgid for msgid in interface_strings() if isinstance(msgid, tuple)}
    missing = [m for m in plurals if not (catalogue.get(m[0]) and all(catalogue.get(m[0]).string))]
    assert missing == [], "fill the fr plural forms (msgstr = msgid, msgid_plural): " + repr(
        missing[:5]
    )


def test_templates_follow_a_language_forced_inside_a_request(app):
    # Templates keep the request's catalogue; mail rendered in the booker's language within
    # the same request (force_locale) must still get its own.
    with app.test_request_context("/"):
        assert render_template_string("{{ _('Réserver') }}") == "Réserver"
        with force_locale("en"):
            assert render_template_string("{{ _('Réserver') }}") == "Book"
        assert render_template_string("{{ _('Réserver') }}") == "Réserver"
