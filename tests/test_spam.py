"""Mail that arrives: every kind, edited or not, scores under 1 point with SpamAssassin.

Scored with Debian's ``spamassassin`` and its local rules only (``-L``: no network test),
on the very bytes the sender would hand to the SMTP server. Skipped when it is not
installed, except under ``CI=true``, where it must be.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import timedelta

import pytest

from app.extensions import db
from app.models import Booking, OutboxMessage
from app.services import booking as booking_service
from app.services.mail import render_message
from app.services.mail.sender import build_email
from app.services.mail_texts import MailTextFields, save_text
from app.timeutil import utcnow

SPAMASSASSIN = shutil.which("spamassassin")
if SPAMASSASSIN is None and os.environ.get("CI") == "true":
    raise RuntimeError("CI=true: spamassassin must be installed (see .ci/run)")
pytestmark = pytest.mark.skipif(SPAMASSASSIN is None, reason="spamassassin is not installed")

# Every kind a booker can receive, with what its rendering needs beyond the booking.
KINDS = {
    "confirmed": {},
    "waitlist_joined": {"position": 2},
    "waitlist_too_large": {"other_sessions": {}},
    "offer": {},
    "offer_expired": {},
    "cancelled": {},
    "reminder": {},
    "session_cancelled": {},
    # A bad day's mail: the booking itself is the row it lists (filled in by raw_mail).
    "day_cancelled": {"note": "Orage annoncé sur le mont Lozère : toutes nos excuses."},
    "message": {
        "custom_subject_fr": "Changement de salle",
        "custom_body_fr": "Bonjour à tous,\n\nLa projection aura lieu dans l’amphithéâtre.",
        "custom_subject_en": "",
        "custom_body_en": "",
    },
}


def score(raw: bytes) -> tuple[float, str]:
    """SpamAssassin's score of a message and the rules that fired."""
    result = subprocess.run(
        [SPAMASSASSIN, "-L", "-t"], input=raw, capture_output=True, timeout=120, check=False
    )
    report = result.stdout.decode("utf-8", "replace")
    found = re.search(r"^X-Spam-Status: \w+, score=(-?[\d.]+)", report, re.MULTILINE)
    assert found, report[-2000:]
    rules = re.search(r"tests=([^\n]*(?:\n\s+[^\n]*)*)", report[found.start() :])
    return float(found.group(1)), rules.group(1) if rules else ""


def raw_mail(app, booking_id: int, kind: str, extra: dict) -> bytes:
    """The bytes the sender would send for ``kind``, rendered as the sender renders it."""
    with app.app_context():
        booking = db.session.get(Booking, booking_id)
        if kind == "offer":
            booking.offer_expires_at = utcnow() + timedelta(hours=12)
        if kind == "day_cancelled":
            extra = {**extra, "rows": [[booking.id, booking.session_id, "confirmed"]]}
        rendered = render_message(kind, booking, **extra)
        row = OutboxMessage(
            id=1,
            kind=kind,
            booking_id=booking.id,
            recipient=booking.email,
            locale=booking.locale,
            created_at=utcnow(),
            **{k: rendered[k] for k in ("subject", "body_text", "body_html", "attachments")},
        )
        data = build_email(row).as_bytes()
        db.session.rollback()
        return data


@pytest.fixture
def booked(app, make_session):
    """French and English bookings tomorrow: a film as it comes, a hike with its details."""
    film = make_session(capacity=10, starts_in=timedelta(days=1), title="Ciné-débat : Séismes")
    hike = make_session(capacity=10, starts_in=timedelta(days=1), title="Randonnée à Vialas")
    with app.app_context():
        ids = []
        for session_id in (film, hike):
            for name, email, locale in (
                ("Marie Curie", "marie@example.fr", "fr"),
                ("Ada Lovelace", "ada@example.org", "en"),
            ):
                booking = booking_service.book(
                    booking_service.BookingRequest(session_id, name, email, 2, locale=locale)
                )
                ids.append(booking.id)
        event = booking.session.event
        event.meeting_point = "Parking de la mairie de Vialas, 9 h 30"
        event.what_to_bring = "Chaussures de marche, eau, pique-nique"
        event.access_info = "Navette depuis la gare d’Alès à 8 h 45"
        db.session.commit()
        return {"event_id": event.id, "ids": ids}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_scores_under_one_point(app, booked, kind):
    # French on the film (no details, accents in its title), English on the hike.
    french_film, _, _, english_hike = booked["ids"]
    for booking_id in (french_film, english_hike):
        points, rules = score(raw_mail(app, booking_id, kind, KINDS[kind]))
        assert points < 1.0, f"{kind}: {points} ({rules})"


def test_an_edited_confirmation_scores_under_one_point(app, booked):
    with app.app_context():
        save_text(
            "confirmed",
            booked["event_id"],
            MailTextFields(
                subject_fr="Votre place pour {event}",
                body_fr="Rendez-vous {meeting_point}.\n\nPrévoyez {what_to_bring}.",
                subject_en="Your seat for {event}",
                body_en="Meet at {meeting_point}.",
            ),
            actor="organiser@mines-ales.fr",
        )
        db.session.commit()
    for booking_id in booked["ids"][2:]:
        points, rules = score(raw_mail(app, booking_id, "confirmed", {}))
        assert points < 1.0, f"{points} ({rules})"
