"""What the door tablet shows: its counters, the list of who may come, the last check-ins."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from ...extensions import db
from ...models import Booking, BookingStatus, CheckIn, EventSession, StandbyEntry, StandbyStatus


@dataclass(frozen=True)
class DoorCounters:
    """What the door tablet shows in big numbers."""

    expected: int
    checked_in: int
    free: int
    waiting: int
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
            StandbyEntry.session_id == session.id, StandbyEntry.status == StandbyStatus.WAITING
        )
    )
    return DoorCounters(
        int(expected), int(checked_in), session.seats_free, session.seats_waiting, int(standby or 0)
    )


def door_list(session_id: int) -> list[Booking]:
    """Everyone who may come through the door (confirmed, offered, released), not yet in first."""
    return list(
        db.session.scalars(
            select(Booking)
            .where(
                Booking.session_id == session_id,
                Booking.status.in_(
                    (BookingStatus.CONFIRMED, BookingStatus.OFFERED, BookingStatus.RELEASED)
                ),
            )
            .order_by(Booking.checked_in_seats >= Booking.seats, Booking.name, Booking.id)
        )
    )


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
