"""Seats for people without a booking: the door's standby queue, no-shows, freed seats.

Freed seats go to the online waiting list while booking is open, then to the people
waiting at the door (``give_freed_seats``), by the queue's rule (docs/door.md):

1. Its order: the parties of the session's waiting list who came to the door first, in
   the waiting list's order (they asked for a place before anybody else at the door);
   then the people who came without a booking, in order of arrival.
2. Freed seats go to the first party that fits in them; several can go in at once.
3. A party that does not fit is passed over; once passed over ``WAITLIST_MAX_PASSES``
   times (the waiting list's own rule, whose count a waiting-list party brings with it),
   freed seats are held for it: nobody behind it goes in until the whole party fits. A
   party larger than the room is never held for: it could stop the queue for good.

A walk-in never goes before the queue (``StandbyFirst`` while anybody waits on it): it
joins the queue, which lets it in at once only if the rule above does.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import contains_eager

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
from .. import ledger, party_endings, waiting_party, waitlist
from ..audit import audit
from ..booking_errors import SessionNotFound
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
    return sum(entry.party_seats for entry in standby_queue(session_id))


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
    """The parties waiting at the door, in the queue's order (rule 1 above).

    A waiting-list party's entry stands as long as its booking is on this session's
    waiting list: cancelled, given an offer or moved meanwhile, the party is no longer
    waiting at this door.
    """
    return list(
        db.session.scalars(
            select(StandbyEntry)
            .outerjoin(Booking, Booking.id == StandbyEntry.booking_id)
            .where(
                StandbyEntry.session_id == session_id,
                StandbyEntry.status == StandbyStatus.WAITING,
                or_(
                    StandbyEntry.booking_id.is_(None),
                    and_(Booking.status == BookingStatus.WAITING, Booking.session_id == session_id),
                ),
            )
            # The booking's session is the one locked (in the identity map): a joined load
            # of it would be an inner join, dropping the people without a booking.
            .options(contains_eager(StandbyEntry.booking).lazyload(Booking.session))
            .order_by(
                StandbyEntry.booking_id.is_(None),
                *waitlist.queue_order(),
                StandbyEntry.arrived_at,
                StandbyEntry.id,
            )
            .execution_options(populate_existing=True)
        )
    )


def max_passes() -> int:
    """How many times a party may be passed over before seats are held for it."""
    return int(current_app.config.get("WAITLIST_MAX_PASSES", 2))


def admit_standby(session: EventSession, *, actor: str, now: datetime) -> list[StandbyEntry]:
    """Give the free seats to the standby queue by its rule (see the module's docstring)."""
    admitted: list[StandbyEntry] = []
    if session.cancelled_at is not None or not door_may_take_seats(session, now):
        return admitted
    limit = max_passes()
    skipped: list[StandbyEntry] = []
    touched: set[int] = set()
    for entry in standby_queue(session.id):
        if session.seats_free <= 0:
            break
        seats = entry.party_seats
        if seats > session.capacity:
            continue  # it can never fit: holding seats for it would stop the queue for good
        if seats <= session.seats_free:
            touched |= _admit(session, entry, actor, now)
            admitted.append(entry)
            for passed in skipped:
                passed.passed_over += 1
            skipped = []
        elif entry.passed_over >= limit:
            break  # the free seats wait for this party
        else:
            skipped.append(entry)
    db.session.flush()
    # The places the parties let in leave on their other lists go to those lists' next.
    party_endings.run_lists(touched - {session.id}, actor=actor, now=now)
    return admitted


def _admit(session: EventSession, entry: StandbyEntry, actor: str, now: datetime) -> set[int]:
    """Let a standby party in: its seats taken and checked in, in one step.

    A waiting-list party's own booking is confirmed and leaves the waiting list, and the
    party leaves the other sessions' lists it waited on (``party_endings.after_admission``,
    which says how it locks them from here); people without one get a booking made for
    them. Returns the sessions whose lists lost a row.
    """
    booking = entry.booking
    from_waitlist = booking is not None
    if booking is None:
        booking = walk_in_booking(session, entry.seats, entry.name, actor, now)
    else:
        ledger.take_seats(session, booking.seats)
        ledger.add_waiting(session, -booking.seats)
        booking.status = BookingStatus.CONFIRMED
    db.session.add(
        CheckIn(booking=booking, session_id=session.id, seats=booking.seats, at=now, by=actor)
    )
    booking.checked_in_seats = booking.seats
    entry.status, entry.booking, entry.seats = StandbyStatus.ADMITTED, booking, booking.seats
    audit("standby.admitted", actor, booking, seats=booking.seats, from_waitlist=from_waitlist)
    if not from_waitlist:
        return set()
    return party_endings.after_admission(booking, actor=actor, now=now)


@writes
def leave_standby(entry_id: int, *, actor: str, now: datetime | None = None) -> StandbyEntry:
    """Someone on the standby queue gave up and left.

    A waiting-list party stays on the (closed) waiting list. The seats held for a party
    passed over are held no longer when it leaves: the queue behind it moves on.
    """
    now = now or utcnow()
    entry = db.session.get(StandbyEntry, entry_id)
    if entry is None:
        raise UnknownTicket()
    session = locked(entry.session_id)
    db.session.refresh(entry)
    if entry.status is StandbyStatus.WAITING:
        entry.status = StandbyStatus.GONE
        audit("standby.left", actor, session_id=entry.session_id, seats=entry.seats)
        db.session.flush()
        admit_standby(session, actor=actor, now=now)
    return entry


@writes
def release_no_shows(session_id: int, *, actor: str, now: datetime | None = None) -> int:
    """Free the seats of parties nobody of which has arrived; pass them on (``give_freed_seats``).

    Only from ``DOOR_RELEASE_MINUTES`` before the start. A released party that turns up
    later is still let in if seats remain (see ``check_in``). Returns the seats freed.
    """
    now = now or utcnow()
    nobody_came = (
        Booking.session_id == session_id,
        Booking.status == BookingStatus.CONFIRMED,
        Booking.checked_in_seats == 0,
    )
    # The sessions where the absent parties wait to move or grow: their rows end too, so
    # those sessions are locked with this one, in id order (every writer's order).
    leads = db.session.scalars(select(Booking.id).where(*nobody_came)).all()
    sessions = waiting_party.lock_sessions_present(
        {session_id, *waiting_party.party_session_ids(leads)}
    )
    if session_id not in sessions:
        raise SessionNotFound(session_id)
    session = sessions[session_id]
    if now < release_opens_at(session):
        raise ReleaseTooEarly(release_opens_at(session))
    absent = db.session.scalars(
        select(Booking).where(*nobody_came).execution_options(populate_existing=True)
    ).all()
    freed = 0
    touched: set[int] = set()
    for booking in absent:
        booking.status = BookingStatus.RELEASED
        ledger.release_seats(session, booking.seats)
        freed += booking.seats
    db.session.flush()
    audit("checkin.released", actor, session_id=session_id, parties=len(absent), seats=freed)
    for booking in absent:
        touched |= party_endings.after_release(booking, actor=actor, now=now)
    party_endings.run_lists(touched - {session_id}, actor=actor, now=now)
    give_freed_seats(session, actor=actor, now=now)
    return freed
