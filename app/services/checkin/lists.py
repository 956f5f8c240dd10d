"""What the door tablet shows: its counters, the list of who may come, the standby board,
the last check-ins."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select

from ...extensions import db
from ...models import Booking, BookingStatus, CheckIn, EventSession, StandbyEntry, StandbyStatus
from .. import waitlist
from .standby import max_passes, standby_queue


@dataclass(frozen=True)
class DoorCounters:
    """What the door tablet shows in big numbers."""

    expected: int
    checked_in: int
    free: int
    waiting: int
    # People waiting at the door without a booking (a waiting-list party at the door is
    # still counted in ``waiting``).
    standby: int

    @property
    def to_come(self) -> int:
        """Expected seats not in yet."""
        return max(self.expected - self.checked_in, 0)


def counters(session: EventSession) -> DoorCounters:
    """The door's counters, in two small queries."""
    expected, checked_in = db.session.execute(
        select(
            func.coalesce(func.sum(Booking.seats), 0),
            func.coalesce(func.sum(Booking.checked_in_seats), 0),
        ).where(
            Booking.session_id == session.id,
            Booking.status.in_((BookingStatus.CONFIRMED, BookingStatus.OFFERED)),
        )
    ).one()
    standby = db.session.scalar(
        select(func.coalesce(func.sum(StandbyEntry.seats), 0)).where(
            StandbyEntry.session_id == session.id,
            StandbyEntry.status == StandbyStatus.WAITING,
            StandbyEntry.booking_id.is_(None),
        )
    )
    return DoorCounters(
        int(expected), int(checked_in), session.seats_free, session.seats_waiting, int(standby or 0)
    )


def door_list(session_id: int, *, with_waiting: bool = False) -> list[Booking]:
    """Everyone who may come through the door (confirmed, offered, released), not yet in first.

    ``with_waiting`` (once booking has closed): the waiting list's parties too, after the
    parties still to come, so that staff find the one at the door by its name or ticket.
    """
    statuses = [BookingStatus.CONFIRMED, BookingStatus.OFFERED, BookingStatus.RELEASED]
    if with_waiting:
        statuses.append(BookingStatus.WAITING)
    return list(
        db.session.scalars(
            select(Booking)
            .where(
                Booking.session_id == session_id,
                Booking.status.in_(statuses),
                # A change of another booking: its lead's ticket is the one at the door.
                Booking.changes_booking_id.is_(None),
            )
            .order_by(
                Booking.checked_in_seats >= Booking.seats,
                Booking.status == BookingStatus.WAITING,
                # The waiting parties in the list's order; the others by name.
                case((Booking.status == BookingStatus.WAITING, -Booking.priority), else_=0),
                case((Booking.status == BookingStatus.WAITING, Booking.created_at)),
                Booking.name,
                Booking.id,
            )
        )
    )


def waiting_ranks(session_id: int) -> dict[int, int]:
    """Each waiting party's rank on the session's waiting list (1 first)."""
    return {
        party.id: rank for rank, party in enumerate(waitlist.waiting_parties(session_id), start=1)
    }


@dataclass(frozen=True)
class StandbyPlace:
    """A party on the door's standby board: its entry, its rank on the waiting list (if it
    came from it), and whether the next freed seats are held for it."""

    entry: StandbyEntry
    seats: int
    list_rank: int | None
    held: bool


def standby_board(session: EventSession, ranks: dict[int, int]) -> list[StandbyPlace]:
    """The standby queue in its order, as the board shows it (``ranks``: ``waiting_ranks``)."""
    places = []
    holding = False
    for entry in standby_queue(session.id):
        seats = entry.party_seats
        held = not holding and entry.passed_over >= max_passes() and seats <= session.capacity
        holding = holding or held
        rank = ranks.get(entry.booking_id) if entry.booking_id is not None else None
        places.append(StandbyPlace(entry, seats, rank, held))
    return places


def last_check_ins(session_id: int) -> dict[int, CheckIn]:
    """The latest check-in still standing per booking (for "undo" and "in at 14 h 02 by…")."""
    latest: dict[int, CheckIn] = {}
    for entry in db.session.scalars(
        select(CheckIn)
        .where(CheckIn.session_id == session_id, CheckIn.undone_at.is_(None))
        .order_by(CheckIn.at, CheckIn.id)
    ):
        latest[entry.booking_id] = entry
    return latest
