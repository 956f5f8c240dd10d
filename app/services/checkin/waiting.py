"""The door and the waiting list: a waiting party that comes to the door.

Until booking closes, freed seats are offered through the waiting list: a waiting party
at the door is told it has no seat yet, and from when it may wait at the door. From the
close (no more offers) it joins the door's standby queue with its booking, at its
waiting-list rank, ahead of the people who came without one (``standby``), and goes in by
the queue's rule: its booking is then confirmed and checked in, and leaves the list.

A row standing for another booking's change (``Booking.changes_booking_id``) is not a
party of its own at the door: its lead's ticket is the one the party holds.
"""

from __future__ import annotations

from datetime import datetime

from ...database import writes
from ...extensions import db
from ...models import Booking, BookingStatus, DoorAction, EventSession, StandbyEntry
from ...timeutil import utcnow
from .. import waitlist
from ..audit import audit
from ..errors import DomainError
from ..programme import default_close
from .actions import door_open, locked_unless_replayed, record_action
from .errors import (
    AlreadyOnStandby,
    NonceReused,
    NotAdmissible,
    NotOnWaitingList,
    OnWaitingList,
    UnknownTicket,
    WrongSession,
)
from .standby import admit_standby, booking_has_closed, standby_queue


def standby_place(booking: Booking) -> int | None:
    """The party's place in its session's door queue (1 first), None if not on it."""
    for place, entry in enumerate(standby_queue(booking.session_id), start=1):
        if entry.booking_id == booking.id:
            return place
    return None


def waiting_refusal(session: EventSession, booking: Booking, now: datetime) -> DomainError:
    """What the door says to a waiting party's ticket: wait for the close, or join the queue."""
    if booking.changes_booking_id is not None:
        return NotOnWaitingList()
    if not booking_has_closed(session, now):
        return NotAdmissible(booking.status, session.closes_at(default_close()))
    place = standby_place(booking)
    if place is not None:
        return AlreadyOnStandby(place)
    return OnWaitingList(booking.id, waitlist.position(booking))


@writes
def join_standby(
    session_id: int,
    booking_id: int,
    *,
    actor: str,
    nonce: str | None = None,
    now: datetime | None = None,
) -> StandbyEntry:
    """Put a waiting-list party that came to the door on the standby queue, at its rank.

    Only once booking has closed, for the whole party. It is let in at once if its turn
    has come. The same ``nonce`` sent again returns the first entry.
    """
    now = now or utcnow()
    session = locked_unless_replayed(session_id, nonce, "from_waitlist", booking_id=booking_id)
    if isinstance(session, DoorAction):
        if session.standby_entry is None:
            raise NonceReused()
        return session.standby_entry
    door_open(session)
    booking = db.session.get(Booking, booking_id, populate_existing=True)
    if booking is None:
        raise UnknownTicket()
    if booking.session_id != session.id:
        raise WrongSession(booking.session.event.title, booking.session.starts_at)
    if booking.status in (BookingStatus.CANCELLED, BookingStatus.EXPIRED):
        raise NotAdmissible(booking.status)
    if booking.status is not BookingStatus.WAITING:
        raise NotOnWaitingList()
    refusal = waiting_refusal(session, booking, now)
    if not isinstance(refusal, OnWaitingList):
        raise refusal
    entry = StandbyEntry(
        session_id=session.id,
        name=booking.name,
        seats=booking.seats,
        added_by=actor,
        arrived_at=now,
        booking=booking,
        nonce=nonce,
        # The passes it already had on the waiting list count here: the same queue, on.
        passed_over=booking.passed_over,
    )
    db.session.add(entry)
    record_action(nonce, session, "from_waitlist", booking_id=booking.id, standby_entry=entry)
    audit("standby.from_waitlist", actor, booking, seats=booking.seats, rank=refusal.rank)
    admit_standby(session, actor=actor, now=now)
    return entry
