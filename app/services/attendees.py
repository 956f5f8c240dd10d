"""Who is coming: attendee and waiting lists, search, and messages to them.

Their CSV files are built in exports.py.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from sqlalchemy import select

from ..database import writes
from ..extensions import db
from ..models import Booking, BookingStatus, Event, EventSession
from . import mail, waitlist
from .audit import audit
from .programme import get_session

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


AUDIENCES = {
    "attendees": ATTENDING,
    "waitlist": (BookingStatus.WAITING,),
    "both": (*ATTENDING, BookingStatus.WAITING),
}


def message_scope(session_id: int | None, event_id: int | None) -> list[EventSession]:
    """The sessions a message goes to: one session, or every live session of an event.

    A session is taken as asked, even cancelled (its people may need to hear more); an
    event's cancelled sessions are left out. Neither, or an unknown event: no session.
    """
    if session_id:
        return [get_session(session_id)]
    event = db.session.get(Event, event_id) if event_id else None
    if event is None:
        return []
    return [s for s in event.sessions if s.cancelled_at is None]


def recipients(session_ids: list[int], audience: str) -> list[Booking]:
    """The bookings of the sessions that a message to ``audience`` reaches, one e-mail each."""
    return list(
        db.session.scalars(
            select(Booking)
            .where(Booking.session_id.in_(session_ids), Booking.status.in_(AUDIENCES[audience]))
            .order_by(Booking.id)
        )
    )


@writes
def send_message(
    session_ids: list[int], audience: str, subject: str, body: str, *, actor: str
) -> int:
    """Write one e-mail per recipient (see ``recipients``) to the outbox; return how many."""
    bookings = recipients(session_ids, audience)
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
