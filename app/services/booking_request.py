"""What a person asked for, and what the same form already booked (its nonce).

Submitting a booking form twice (a double click, a retry after a dropped connection)
returns the first booking: every form carries a nonce stored with the booking it made.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from sqlalchemy import bindparam, select

from ..extensions import db
from ..models import Booking


@dataclass(frozen=True)
class NonceLookup:
    """The booking a form's nonce already made, as read with the form's session."""

    nonce: str
    booking_id: int | None
    session_id: int | None


@dataclass(frozen=True)
class BookingRequest:
    """What a person asked for, already parsed by the form."""

    session_id: int
    name: str
    email: str
    seats: int
    phone: str = ""
    accessibility_needs: str = ""
    locale: str = "fr"
    nonce: str | None = None
    source: str = "public"
    # Organisers taking a booking by phone may book outside the online window and beyond
    # the public's party limit, and ahead of the waiting list; never beyond capacity.
    by_organiser: bool = False
    # Joining a waiting list: the event's other sessions the party waits on as well.
    also: tuple[int, ...] = ()
    # Answers to the event's own questions, as typed (question id, value): checked and
    # stored by the service with the booking (services/questions.py).
    answers: tuple[tuple[int, str], ...] = ()
    # What the database said about ``nonce`` when the form's session was read
    # (``seat_reads.page_session``): the check before the booking then costs no query.
    nonce_lookup: NonceLookup | None = None


# Built once, like every statement of the booking POST's hot path: building one costs
# more than running it.
_BOOKING_BY_NONCE = select(Booking.id, Booking.session_id).where(
    Booking.request_nonce == bindparam("nonce")
)


def earlier_booking(
    request: BookingRequest, *, fresh: bool = False
) -> tuple[Booking | None, BookingRequest]:
    """The booking an identical form submission already made, and the request to go on with.

    A nonce already used on another session (a form sent to the wrong page, or made up)
    cannot be stored a second time: the request goes on without it. ``fresh`` asks the
    database even when the request carries what it said earlier (under the lock, or after
    losing a race on the nonce's unique index).
    """
    if not request.nonce:
        return None, request
    lookup = request.nonce_lookup
    if fresh or lookup is None or lookup.nonce != request.nonce:
        # Every booking POST asks, and almost always hears "no": ask for two columns, not
        # for the booking with its session, event and venue joined.
        row = db.session.execute(_BOOKING_BY_NONCE, {"nonce": request.nonce}).first()
        lookup = NonceLookup(request.nonce, *row) if row else NonceLookup(request.nonce, None, None)
    if lookup.booking_id is None:
        return None, request
    if lookup.session_id == request.session_id:
        return db.session.get(Booking, lookup.booking_id), request
    return None, dataclasses.replace(request, nonce=None, nonce_lookup=None)
