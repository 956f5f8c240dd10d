"""What a booker carries to the door: a QR code of the ticket code, and a calendar entry."""

from __future__ import annotations

import io

import icalendar
import segno

from ..i18n import colon, gettext, seats_phrase
from ..models import Booking
from ..timeutil import paris, utcnow


def _qr(code: str) -> segno.QRCode:
    """A regular QR code (never Micro QR, which phone scanners and BarcodeDetector skip)."""
    return segno.make_qr(code, error="m")


def qr_png(code: str) -> bytes:
    """The ticket code as a PNG QR code, for e-mails."""
    buffer = io.BytesIO()
    _qr(code).save(buffer, kind="png", scale=6, border=2)
    return buffer.getvalue()


def qr_svg_data_uri(code: str) -> str:
    """The ticket code as an SVG data URI, light enough to inline in the booking page."""
    return _qr(code).svg_data_uri(scale=5, border=2)


def booking_ics(booking: Booking, manage_url: str) -> bytes:
    """An iCalendar file for the booking's session, in Europe/Paris time."""
    session = booking.session
    event = session.event
    venue = event.venue
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//IMT Mines Alès//Minér'Alès//FR")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    entry = icalendar.Event()
    entry.add("uid", f"{booking.ticket_code}@minerales.mines-ales.fr")
    entry.add("dtstamp", utcnow())
    entry.add("dtstart", paris(session.starts_at))
    entry.add("dtend", paris(session.ends_at))
    entry.add("summary", f"Minér’Alès{colon()} {event.title}")
    entry.add(
        "location", ", ".join(part for part in (venue.name, venue.address, venue.city) if part)
    )
    entry.add(
        "description",
        gettext(
            "%(seats)s, billet %(code)s.",
            seats=seats_phrase(booking.seats),
            code=booking.ticket_code,
        )
        + f"\n{manage_url}",
    )
    entry.add("url", manage_url)
    calendar.add_component(entry)
    calendar.add_missing_timezones()
    return calendar.to_ical()
