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


def scores(raws: list[bytes], folder) -> list[tuple[float, str]]:
    """SpamAssassin's score of each message and the rules that fired, in order.

    One run for them all: each start of spamassassin loads its whole rule set, which costs
    far more than scoring a message. Each message is a file of its own, as it would arrive.
    """
    paths = []
    for index, raw in enumerate(raws):
        path = folder / f"message-{index}.eml"
        path.write_bytes(raw)
        paths.append(str(path))
    result = subprocess.run(
        [SPAMASSASSIN, "-L", "-t", *paths], capture_output=True, timeout=240, check=False
    )
    report = result.stdout.decode("utf-8", "replace")
    found = list(re.finditer(r"^X-Spam-Status: \w+, score=(-?[\d.]+)", report, re.MULTILINE))
    assert len(found) == len(raws), report[-2000:] + result.stderr.decode("utf-8", "replace")
    results = []
    for status in found:
        rules = re.search(r"tests=([^\n]*(?:\n\s+[^\n]*)*)", report[status.start() :])
        results.append((float(status.group(1)), rules.group(1) if rules else ""))
    return results


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


def test_every_kind_scores_under_one_point(app, booked, tmp_path):
    # French on the film (no details, accents in its title), English on the hike.
    french_film, _, _, english_hike = booked["ids"]
    cases = [(kind, b) for kind in sorted(KINDS) for b in (french_film, english_hike)]
    raws = [raw_mail(app, booking_id, kind, KINDS[kind]) for kind, booking_id in cases]
    high = [
        f"{kind} (booking {booking_id}): {points} ({rules})"
        for (kind, booking_id), (points, rules) in zip(cases, scores(raws, tmp_path), strict=True)
        if points >= 1.0
    ]
    assert not high, "\n".join(high)


def test_an_edited_confirmation_scores_under_one_point(app, booked, tmp_path):
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
    raws = [raw_mail(app, booking_id, "confirmed", {}) for booking_id in booked["ids"][2:]]
    for points, rules in scores(raws, tmp_path):
        assert points < 1.0, f"{points} ({rules})"
