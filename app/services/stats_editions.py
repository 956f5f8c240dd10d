"""The statistics year over year: one line per edition (services/editions.py).

Counts only, like services/stats.py, whose definitions these figures reuse: the fill rate
of an edition sums its non-cancelled sessions' booked seats over their capacity; its
no-show rate is over the seats booked ahead and due at the door of its ended sessions;
its bookings are the bookings made ahead that were confirmed at some point. A purge of
the people's details changes none of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from ..extensions import db
from ..models import Booking, Event, EventSession
from .stats import SessionStats, once_confirmed, session_stats


@dataclass(frozen=True)
class EditionFigures:
    """One edition's totals."""

    year: int
    sessions: int
    capacity: int
    booked: int  # confirmed and offered seats, the fill rate's numerator
    bookings: int  # bookings made ahead, confirmed at some point
    seats_booked: int  # their seats
    expected: int  # seats due at the door of the ended sessions
    arrived: int
    previous: EditionFigures | None = None  # the edition before, for the change

    @property
    def fill(self) -> float | None:
        """Booked seats / capacity."""
        return self.booked / self.capacity if self.capacity else None

    @property
    def no_show(self) -> float | None:
        """Seats booked ahead whose people did not come, over those due at the door."""
        return max(self.expected - self.arrived, 0) / self.expected if self.expected else None

    @property
    def bookings_change(self) -> float | None:
        """Bookings compared with the edition before (+0.12: 12 % more); None without one."""
        if self.previous is None or not self.previous.bookings:
            return None
        return self.bookings / self.previous.bookings - 1


def edition_figures(now: datetime | None = None) -> list[EditionFigures]:
    """Every edition's figures, newest first, each compared with the one before it."""
    per_session = session_stats(now)
    edition_of: dict[int, int] = {
        session_id: year
        for session_id, year in db.session.execute(
            select(EventSession.id, Event.edition).join(Event, EventSession.event_id == Event.id)
        )
    }
    grouped: dict[int, list[SessionStats]] = {}
    for item in per_session:
        grouped.setdefault(edition_of[item.session_id], []).append(item)
    bookings = {
        year: (count, int(seats or 0))
        for year, count, seats in db.session.execute(
            select(Event.edition, func.count(Booking.id), func.sum(Booking.seats))
            .join(EventSession, Booking.session_id == EventSession.id)
            .join(Event, EventSession.event_id == Event.id)
            .where(once_confirmed())
            .group_by(Event.edition)
        ).all()
    }
    years = sorted(set(grouped) | set(bookings))
    figures: list[EditionFigures] = []
    previous = None
    for year in years:
        items = grouped.get(year, [])
        ended = [item for item in items if item.ended]
        count, seats = bookings.get(year, (0, 0))
        previous = EditionFigures(
            year=year,
            sessions=len(items),
            capacity=sum(item.capacity for item in items),
            booked=sum(item.booked for item in items),
            bookings=count,
            seats_booked=seats,
            expected=sum(item.expected for item in ended),
            arrived=sum(item.arrived for item in ended),
            previous=previous,
        )
        figures.append(previous)
    return figures[::-1]
