"""Who is coming: attendee and waiting lists, search, exports and messages."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable

from flask_babel import gettext
from sqlalchemy import select

from ..database import begin_write
from ..extensions import db
from ..models import Booking, BookingStatus, EventSession
from ..timeutil import paris
from . import mail, waitlist
from .audit import audit

ATTENDING = (BookingStatus.CONFIRMED, BookingStatus.OFFERED)


def fold(text: str) -> str:
    """Lower-case and strip accents, so « hélène » matches « Helene »."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def attendees(session_id: int, query: str = "") -> list[Booking]:
    """Confirmed and offered bookings of a session by name, optionally filtered."""
    bookings = db.session.scalars(
        select(Booking)
        .where(Booking.session_id == session_id, Booking.status.in_(ATTENDING))
        .order_by(Booking.name, Booking.id)
    ).all()
    return matching(bookings, query)


def waiting(session_id: int, query: str = "") -> list[Booking]:
    """The waiting list of a session in queue order, optionally filtered."""
    return matching(waitlist.waiting_parties(session_id), query)


def matching(bookings: Iterable[Booking], query: str) -> list[Booking]:
    """Bookings whose name, e-mail, phone or ticket code contains ``query`` (accent-blind)."""
    needle = fold(query.strip())
    if not needle:
        return list(bookings)
    return [
        booking
        for booking in bookings
        if needle in fold(f"{booking.name} {booking.email} {booking.phone} {booking.ticket_code}")
    ]


def safe_cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run as a formula (names are typed by the public)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(header: list[str], rows: Iterable[list[object]]) -> str:
    """UTF-8 with a BOM and semicolons: what a French spreadsheet opens with accents right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return "\ufeff" + buffer.getvalue()


def _status_label(booking: Booking) -> str:
    """The booking's status in the current language."""
    from ..labels import booking_status_label

    return booking_status_label(booking)


def attendees_csv(session: EventSession) -> str:
    """The attendee list of a session as CSV."""
    header = [
        gettext("Nom"),
        gettext("E-mail"),
        gettext("Téléphone"),
        gettext("Places"),
        gettext("Statut"),
        gettext("Code billet"),
        gettext("Arrivés"),
        gettext("Besoins d’accessibilité"),
        gettext("Réservé le"),
    ]
    rows = (
        [
            b.name,
            b.email,
            b.phone,
            b.seats,
            _status_label(b),
            b.ticket_code,
            b.checked_in_seats,
            b.accessibility_needs,
            paris(b.created_at).strftime("%Y-%m-%d %H:%M"),
        ]
        for b in attendees(session.id)
    )
    return to_csv(header, rows)


def waitlist_csv(session: EventSession) -> str:
    """The waiting list of a session as CSV, in queue order."""
    header = [
        gettext("Position"),
        gettext("Nom"),
        gettext("E-mail"),
        gettext("Téléphone"),
        gettext("Places"),
        gettext("Priorité"),
        gettext("Raison"),
        gettext("Inscrit le"),
    ]
    rows = (
        [
            index,
            b.name,
            b.email,
            b.phone,
            b.seats,
            b.priority,
            b.priority_reason,
            paris(b.created_at).strftime("%Y-%m-%d %H:%M"),
        ]
        for index, b in enumerate(waiting(session.id), start=1)
    )
    return to_csv(header, rows)


AUDIENCES = {
    "attendees": ATTENDING,
    "waitlist": (BookingStatus.WAITING,),
    "both": (*ATTENDING, BookingStatus.WAITING),
}


def send_message(
    session_ids: list[int], audience: str, subject: str, body: str, *, actor: str
) -> int:
    """Write one e-mail per booking of the sessions' audience to the outbox; return how many."""
    begin_write()
    bookings = db.session.scalars(
        select(Booking)
        .where(Booking.session_id.in_(session_ids), Booking.status.in_(AUDIENCES[audience]))
        .order_by(Booking.id)
    ).all()
    for booking in bookings:
        mail.enqueue("message", booking, custom_subject=subject.strip(), custom_body=body.strip())
    audit(
        "message.sent",
        actor,
        session_id=session_ids[0] if len(session_ids) == 1 else None,
        sessions=session_ids,
        audience=audience,
        recipients=len(bookings),
    )
    return len(bookings)
