"""Booking rules: take seats for a party, cancel and give them back.

Every function works inside the caller's transaction (one per request) and raises a
``DomainError`` when a rule says no; the request then rolls back and nothing is stored.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from ..database import begin_write
from ..extensions import db
from ..models import AuditEntry, Booking, BookingStatus, EventSession
from ..timeutil import utcnow
from . import ledger
from .errors import (
    AlreadyCancelled,
    BookingNotFound,
    InvalidSeats,
    SessionFull,
    SessionNotFound,
    SessionStarted,
)
from .programme import ensure_bookable

# No 0/O or 1/I: the code is read aloud and typed at the door.
TICKET_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
TICKET_LENGTH = 8


def new_token() -> str:
    """Return a booking token: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def new_ticket_code() -> str:
    """Return an unused ticket code such as ``K7MQ-3XPA``."""
    while True:
        raw = "".join(secrets.choice(TICKET_ALPHABET) for _ in range(TICKET_LENGTH))
        code = f"{raw[:4]}-{raw[4:]}"
        exists = db.session.execute(select(Booking.id).where(Booking.ticket_code == code)).first()
        if exists is None:
            return code


def max_seats_per_booking() -> int:
    """The largest party one booking may hold (``BOOKING_MAX_SEATS``)."""
    return int(current_app.config["BOOKING_MAX_SEATS"])


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


def audit(action: str, actor: str, booking: Booking | None = None, **data: object) -> None:
    """Write an audit entry in the current transaction (no personal data in ``data``)."""
    db.session.add(
        AuditEntry(
            actor=actor,
            action=action,
            session_id=booking.session_id if booking else data.pop("session_id", None),
            booking_id=booking.id if booking else None,
            data=data,
        )
    )


def _earlier_booking(request: BookingRequest) -> Booking | None:
    """The booking an identical form submission already made, if any."""
    if not request.nonce:
        return None
    earlier = db.session.execute(
        select(Booking).where(Booking.request_nonce == request.nonce)
    ).scalar_one_or_none()
    return earlier if earlier is not None and earlier.session_id == request.session_id else None


def _check_request(session: EventSession, request: BookingRequest, now: datetime) -> None:
    """Raise why ``request`` cannot be confirmed on ``session`` as it stands."""
    ensure_bookable(session, now)
    maximum = max_seats_per_booking()
    if not 1 <= request.seats <= maximum:
        raise InvalidSeats(maximum)
    if request.seats > session.seats_left:
        raise SessionFull(seats_left=session.seats_left, seats_wanted=request.seats)


def book(request: BookingRequest, *, actor: str = "public", now: datetime | None = None) -> Booking:
    """Confirm a booking for the whole party, or raise why not.

    Raises ``SessionNotFound``, ``BookingClosed``, ``InvalidSeats`` or ``SessionFull``.
    Submitting the same form twice (same ``nonce``) returns the first booking.

    A refusal is decided from an unlocked read when it is already certain (a full
    session refuses a rush of hundreds without making them queue for the lock); an
    acceptance is decided under the session's lock by the ledger's conditional UPDATE.
    """
    now = now or utcnow()
    earlier = _earlier_booking(request)
    if earlier is not None:
        return earlier
    session = db.session.get(EventSession, request.session_id)
    if session is None:
        raise SessionNotFound(request.session_id)
    _check_request(session, request, now)

    begin_write()
    session = ledger.lock_session(request.session_id)
    if session is None:
        raise SessionNotFound(request.session_id)
    earlier = _earlier_booking(request)  # an identical submit may have won the race
    if earlier is not None:
        return earlier
    _check_request(session, request, now)
    ledger.take_seats(session, request.seats)
    booking = Booking(
        session=session,
        token=new_token(),
        ticket_code=new_ticket_code(),
        request_nonce=request.nonce or None,
        name=request.name.strip(),
        email=request.email.strip().lower(),
        phone=request.phone.strip(),
        seats=request.seats,
        status=BookingStatus.CONFIRMED,
        accessibility_needs=request.accessibility_needs.strip(),
        locale=request.locale,
        source=request.source,
    )
    db.session.add(booking)
    db.session.flush()
    audit("booking.confirmed", actor, booking, seats=booking.seats)
    return booking


def get_by_token(token: str) -> Booking:
    """Return the booking behind a secret token, or raise ``BookingNotFound``."""
    booking = db.session.execute(select(Booking).where(Booking.token == token)).scalar_one_or_none()
    if booking is None:
        raise BookingNotFound()
    return booking


def cancel(token: str, *, actor: str = "public", now: datetime | None = None) -> Booking:
    """Cancel a booking and give its seats back at once.

    Raises ``BookingNotFound``, ``AlreadyCancelled`` or ``SessionStarted``.
    """
    now = now or utcnow()
    booking = get_by_token(token)
    begin_write()
    # Lock order everywhere: the session row first, then its bookings.
    session = ledger.lock_session(booking.session_id)
    db.session.refresh(booking)
    if booking.status is BookingStatus.CANCELLED:
        raise AlreadyCancelled()
    if session is not None and now >= session.starts_at:
        raise SessionStarted()
    held = booking.holds_seats
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = now
    if held and session is not None:
        ledger.release_seats(session, booking.seats)
    audit("booking.cancelled", actor, booking, seats=booking.seats)
    return booking
