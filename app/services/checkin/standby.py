"""Seats for people without a booking: the door's standby queue, no-shows, freed seats.

Freed seats go to the online waiting list while booking is open, then to the people
waiting at the door, in order of arrival (``give_freed_seats``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from ...database import writes
from ...extensions import db
from ...i18n import gettext
from ...models import (
    Booking,
    BookingStatus,
    CheckIn,
    DoorAction,
    EventSession,
    StandbyEntry,
    StandbyStatus,
)
from ...timeutil import utcnow
from .. import ledger, waitlist
from ..audit import audit
from ..booking_keys import new_ticket_code, new_token
from ..programme import default_close
from .actions import door_open, locked, locked_unless_replayed, record_action
from .errors import BadSeatCount, NonceReused, ReleaseTooEarly, UnknownTicket


def release_opens_at(session: EventSession) -> datetime:
    """From when the seats of absent parties may go to the door."""
    return session.starts_at - timedelta(
        minutes=int(current_app.config.get("DOOR_RELEASE_MINUTES", 10))
    )


def booking_has_closed(session: EventSession, now: datetime) -> bool:
    """Whether online booking (and the waiting list's offers) has closed for ``session``."""
    return now >= session.closes_at(default_close())


def door_may_take_seats(session: EventSession, now: datetime) -> bool:
    """Whether the door may give free seats to people without a booking.

    While online booking is open and anybody is on the waiting list, free seats are the
    list's (they may be held for a party passed over, see ``waitlist.promote``): the door
    takes none. Once booking has closed (no more offers), or when nobody waits, it may.
    """
    return session.seats_waiting == 0 or booking_has_closed(session, now)


def give_freed_seats(session: EventSession, *, actor: str, now: datetime) -> None:
    """Seats just freed (a cancellation, a smaller party, an undone walk-in, no-shows) move on.

    The waiting list first, as long as booking is open; the people waiting at the door get
    what the door may take (``door_may_take_seats``). The caller holds the session's lock.
    """
    waitlist.promote(session, now, actor)
    admit_standby(session, actor=actor, now=now)


def walk_in_booking(
    session: EventSession, seats: int, name: str, actor: str, now: datetime
) -> Booking:
    """A booking for people who came without one, already holding its seats."""
    ledger.take_seats(session, seats)
    booking = Booking(
        session=session,
        token=new_token(),
        ticket_code=new_ticket_code(),
        name=name.strip() or gettext("Sans réservation"),
        email="",
        seats=seats,
        status=BookingStatus.CONFIRMED,
        source="walkin",
        created_at=now,
    )
    db.session.add(booking)
    db.session.flush()
    return booking


def standby_seats(session_id: int) -> int:
    """Seats asked for by the people waiting at the door."""
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(StandbyEntry.seats), 0)).where(
                StandbyEntry.session_id == session_id,
                StandbyEntry.status == StandbyStatus.WAITING,
            )
        )
        or 0
    )


@writes
def add_standby(
    session_id: int,
    seats: int,
    name: str = "",
    *,
    actor: str,
    nonce: str | None = None,
    now: datetime | None = None,
) -> StandbyEntry:
    """Put people on the door's standby queue; they are let in at once if seats are free."""
    now = now or utcnow()
    session = locked_unless_replayed(session_id, nonce, "standby", seats=seats, name=name)
    if isinstance(session, DoorAction):
        # A standby action is the same one only with its entry (``_same_action``).
        if session.standby_entry is None:
            raise NonceReused()
        return session.standby_entry
    door_open(session)
    if not 1 <= seats <= max(session.capacity, 1):
        raise BadSeatCount(session.capacity)
    entry = StandbyEntry(
        session_id=session.id,
        name=name.strip(),
        seats=seats,
        added_by=actor,
        arrived_at=now,
        nonce=nonce,
    )
    db.session.add(entry)
    record_action(nonce, session, "standby", seats=seats, standby_entry=entry)
    audit("standby.added", actor, session_id=session.id, seats=seats)
    admit_standby(session, actor=actor, now=now)
    return entry


def standby_queue(session_id: int) -> list[StandbyEntry]:
    """People waiting at the door, in order of arrival."""
    return list(
        db.session.scalars(
            select(StandbyEntry)
            .where(
                StandbyEntry.session_id == session_id, StandbyEntry.status == StandbyStatus.WAITING
            )
            .order_by(StandbyEntry.arrived_at, StandbyEntry.id)
            .execution_options(populate_existing=True)
        )
    )


def admit_standby(session: EventSession, *, actor: str, now: datetime) -> list[StandbyEntry]:
    """Give free seats to the standby queue in order of arrival (the first that fits)."""
    admitted: list[StandbyEntry] = []
    if session.cancelled_at is not None or not door_may_take_seats(session, now):
        return admitted
    for entry in standby_queue(session.id):
        if session.seats_free <= 0:
            break
        if entry.seats > session.seats_free:
            continue
        booking = walk_in_booking(session, entry.seats, entry.name, actor, now)
        db.session.add(
            CheckIn(booking=booking, session_id=session.id, seats=entry.seats, at=now, by=actor)
        )
        booking.checked_in_seats = entry.seats
        entry.status, entry.booking_id = StandbyStatus.ADMITTED, booking.id
        audit("standby.admitted", actor, booking, seats=entry.seats)
        admitted.append(entry)
    db.session.flush()
    return admitted


@writes
def leave_standby(entry_id: int, *, actor: str) -> StandbyEntry:
    """Someone on the standby queue gave up and left."""
    entry = db.session.get(StandbyEntry, entry_id)
    if entry is None:
        raise UnknownTicket()
    locked(entry.session_id)
    db.session.refresh(entry)
    if entry.status is StandbyStatus.WAITING:
        entry.status = StandbyStatus.GONE
        audit("standby.left", actor, session_id=entry.session_id, seats=entry.seats)
    return entry


@writes
def release_no_shows(session_id: int, *, actor: str, now: datetime | None = None) -> int:
    """Free the seats of parties nobody of which has arrived; pass them on (``give_freed_seats``).

    Only from ``DOOR_RELEASE_MINUTES`` before the start. A released party that turns up
    later is still let in if seats remain (see ``check_in``). Returns the seats freed.
    """
    now = now or utcnow()
    session = locked(session_id)
    if now < release_opens_at(session):
        raise ReleaseTooEarly(release_opens_at(session))
    absent = db.session.scalars(
        select(Booking)
        .where(
            Booking.session_id == session_id,
            Booking.status == BookingStatus.CONFIRMED,
            Booking.checked_in_seats == 0,
        )
        .execution_options(populate_existing=True)
    ).all()
    freed = 0
    for booking in absent:
        booking.status = BookingStatus.RELEASED
        ledger.release_seats(session, booking.seats)
        freed += booking.seats
    db.session.flush()
    audit("checkin.released", actor, session_id=session_id, parties=len(absent), seats=freed)
    give_freed_seats(session, actor=actor, now=now)
    return freed
