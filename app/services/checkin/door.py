"""Letting people in: a ticket scanned or a party tapped, part of a party, undo, walk-ins.

Like every seat change, each action locks the session row first, inside the unit of work.
Two tablets checking in the same party at once: the second is told who did it first.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select

from ...database import writes
from ...extensions import db
from ...models import Booking, BookingStatus, CheckIn, DoorAction, EventSession
from ...timeutil import utcnow
from .. import ledger, party_endings
from ..audit import audit
from .actions import door_open, earlier_check_in, locked, locked_unless_replayed, record_action
from .errors import (
    AlreadyCheckedIn,
    BadSeatCount,
    NoSeatsAtDoor,
    NotAdmissible,
    NothingToUndo,
    OfferToAcceptFirst,
    StandbyFirst,
    UnknownTicket,
    WaitingListFirst,
    WrongSession,
)
from .standby import door_may_take_seats, give_freed_seats, standby_seats, walk_in_booking
from .waiting import waiting_refusal


def normalise_code(raw: str) -> str:
    """« k7mq 3xpa », « K7MQ-3XPA », « k7mq3xpa » all become « K7MQ-3XPA »."""
    compact = re.sub(r"[^A-Za-z0-9]", "", raw or "").upper()
    return f"{compact[:4]}-{compact[4:]}" if len(compact) == 8 else compact


def _first_check_in(booking: Booking) -> CheckIn | None:
    """The earliest check-in still standing for a booking."""
    return db.session.scalar(
        select(CheckIn)
        .where(CheckIn.booking_id == booking.id, CheckIn.undone_at.is_(None))
        .order_by(CheckIn.at, CheckIn.id)
    )


def _find(booking_id: int | None, ticket_code: str | None) -> Booking | None:
    """The booking a tap (by id) or a scan (by ticket code) is for, read afresh."""
    if booking_id is not None:
        return db.session.get(Booking, booking_id, populate_existing=True)
    code = normalise_code(ticket_code or "")
    return db.session.scalar(
        select(Booking).where(Booking.ticket_code == code).execution_options(populate_existing=True)
    )


@writes
def check_in(
    session_id: int,
    *,
    actor: str,
    booking_id: int | None = None,
    ticket_code: str | None = None,
    seats: int | None = None,
    nonce: str | None = None,
    now: datetime | None = None,
) -> CheckIn:
    """Let a party (or some of its seats) in, by booking id (a tap) or ticket code (a scan).

    A waiting-list party has no seat: it is refused with what it may do instead
    (``waiting_refusal``: join the door's queue once booking has closed).

    The same ``nonce`` sent again for the same party and seats returns the first check-in;
    sent for anything else it raises ``NonceReused`` and changes nothing.
    """
    now = now or utcnow()
    target = _find(booking_id, ticket_code) if nonce else None
    session = locked_unless_replayed(
        session_id, nonce, "check_in", booking_id=target.id if target else None, seats=seats
    )
    if isinstance(session, DoorAction):
        return earlier_check_in(session)
    door_open(session)
    booking = _find(booking_id, ticket_code)
    if booking is None:
        raise UnknownTicket()
    if booking.session_id != session.id:
        raise WrongSession(booking.session.event.title, booking.session.starts_at)
    if booking.status is BookingStatus.WAITING:
        raise waiting_refusal(session, booking, now)
    entry = _let_in(session, booking, seats, actor, now, nonce)
    record_action(nonce, session, "check_in", booking_id=booking.id, seats=seats, check_in=entry)
    return entry


def _let_in(
    session: EventSession,
    booking: Booking,
    seats: int | None,
    actor: str,
    now: datetime,
    nonce: str | None,
) -> CheckIn:
    """Check ``seats`` of a party of this (locked, open) session in, or raise why not.

    At its first check-in the party leaves the lists it waited on, its move and its extra
    seats included (``party_endings.after_admission``), and those lists run.
    """
    if booking.status in (BookingStatus.CANCELLED, BookingStatus.EXPIRED, BookingStatus.WAITING):
        raise NotAdmissible(booking.status)
    if booking.status is BookingStatus.RELEASED:
        wanted = seats or booking.seats
        if not 1 <= wanted <= booking.seats:
            raise BadSeatCount(booking.seats)
        if wanted > session.seats_free:
            raise NoSeatsAtDoor(session.seats_free)
        ledger.take_seats(session, wanted)
        booking.seats, booking.status = wanted, BookingStatus.CONFIRMED
        audit("checkin.readmitted", actor, booking, seats=wanted)
    why = "lead_admitted"
    if booking.status is BookingStatus.OFFERED:
        if booking.changes_booking_id is not None:
            # Its offer moves or grows another booking: only accepting it applies that.
            raise OfferToAcceptFirst()
        booking.status = BookingStatus.CONFIRMED  # came to the door with an open offer: it holds
        why = "placed_elsewhere"
    first_tap = booking.checked_in_seats == 0
    remaining = booking.seats - booking.checked_in_seats
    if remaining <= 0:
        first = _first_check_in(booking)
        raise AlreadyCheckedIn(
            first.at if first else now, first.by if first else "?", booking.checked_in_seats
        )
    count = seats or remaining
    if not 1 <= count <= remaining:
        raise BadSeatCount(remaining)
    entry = CheckIn(
        booking=booking, session_id=session.id, seats=count, at=now, by=actor, nonce=nonce
    )
    booking.checked_in_seats += count
    db.session.add(entry)
    db.session.flush()
    audit("checkin.in", actor, booking, seats=count)
    if first_tap:
        # Its people are in this room: the party waits for nothing more, elsewhere or here.
        touched = party_endings.after_admission(booking, actor=actor, now=now, why=why)
        party_endings.run_lists(touched, actor=actor, now=now)
    return entry


@writes
def undo(check_in_id: int, *, actor: str, now: datetime | None = None) -> CheckIn:
    """Take back a check-in (a wrong tap). Undoing a walk-in gives its seats back."""
    now = now or utcnow()
    entry = db.session.get(CheckIn, check_in_id)
    if entry is None:
        raise UnknownTicket()
    session = locked(entry.session_id)
    db.session.refresh(entry)
    if entry.undone_at is not None:
        raise NothingToUndo()
    booking = db.session.get(Booking, entry.booking_id, populate_existing=True)
    if booking is None:  # the booking_id is a foreign key: only a broken database gets here
        raise UnknownTicket()
    entry.undone_at, entry.undone_by = now, actor
    booking.checked_in_seats -= entry.seats
    freed = (
        booking.source == "walkin"
        and booking.checked_in_seats == 0
        and booking.status is BookingStatus.CONFIRMED
    )
    if freed:
        booking.status, booking.ended_reason, booking.cancelled_at = (
            BookingStatus.CANCELLED,
            "cancelled",
            now,
        )
        ledger.release_seats(session, booking.seats)
    db.session.flush()
    audit("checkin.undone", actor, booking, seats=entry.seats)
    if freed and session.cancelled_at is None:
        give_freed_seats(session, actor=actor, now=now)
    return entry


@writes
def walk_in(
    session_id: int,
    seats: int,
    name: str = "",
    *,
    actor: str,
    nonce: str | None = None,
    now: datetime | None = None,
) -> CheckIn:
    """Register and let in people without a booking, while seats are free.

    Raises ``StandbyFirst`` while anybody waits on the door's standby queue: they came
    first. The new party is then added to that queue (``add_standby``), which lets it in
    at once if its turn has come.
    """
    now = now or utcnow()
    session = locked_unless_replayed(session_id, nonce, "walk_in", seats=seats, name=name)
    if isinstance(session, DoorAction):
        return earlier_check_in(session)
    door_open(session)
    if not 1 <= seats <= max(session.capacity, 1):
        raise BadSeatCount(session.capacity)
    if waiting := standby_seats(session.id):
        raise StandbyFirst(waiting)
    if not door_may_take_seats(session, now):
        raise WaitingListFirst()
    if seats > session.seats_free:
        raise NoSeatsAtDoor(session.seats_free)
    booking = walk_in_booking(session, seats, name, actor, now)
    audit("checkin.walk_in", actor, booking, seats=seats)
    entry = _let_in(session, booking, None, actor, now, nonce)
    record_action(nonce, session, "walk_in", booking_id=booking.id, seats=seats, check_in=entry)
    return entry
