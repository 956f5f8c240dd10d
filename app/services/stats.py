"""The organisers' statistics: bookings over time, fill rates and no-shows.

Everything here only reads. Every figure is a count taken from booking and session rows
(seats, statuses, checked-in seats, dates) and event titles and kinds; nothing reads a
name, an e-mail address or a phone number. The figures therefore stay the same after a
GDPR purge blanks the people's details.

Definitions, as shown on the page:

* **Booked seats (over time).** The seats of every booking made ahead (not a walk-in at
  the door) that was confirmed at some point, on the Paris date of its ``created_at``:
  bookings still ``confirmed``, ``released`` ones (nobody came by the start, the seats went
  to the door), and ``cancelled`` ones whose ``ended_reason`` is ``cancelled`` (cancelled by
  the holder, so once confirmed) or ``session_cancelled`` (their session was cancelled).
  The rows keep no earlier status, so a party that was still *waiting* when its session was
  cancelled is counted too; a party that came in from the waiting list counts on the day it
  joined the list. Seats are the booking's current seats (after any reduction).
* **Fill rate of a session.** (confirmed + offered seats) / capacity, for sessions that
  are not cancelled: the seat ledger's view. Offered seats are held for a waiting party,
  and walk-ins admitted at the door are confirmed seats, so both count.
* **Fill rate of a kind.** The same sums over every non-cancelled session of that kind.
* **No-show rate.** For sessions that have ended, over the seats booked ahead and due at
  the door (``confirmed`` and ``released`` bookings, walk-ins left out):
  1 − checked-in seats / those seats (``None`` when there were none). Checked-in seats are
  capped at each booking's seats.
* **Moves.** Bookings moved into and out of a session, by the visitor or an organiser
  (counted from the audit log: services/move_stats.py).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import format_percent
from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from ..extensions import db
from ..models import Booking, BookingStatus, Event, EventKind, EventSession
from ..timeutil import PARIS, paris, utcnow
from .charts import Axis, axis
from .move_stats import moves_per_session

# Why a cancelled booking ended, when it was confirmed before (see the module docstring).
ONCE_CONFIRMED_REASONS = ("cancelled", "session_cancelled")
# Seats booked ahead that were due at the door: kept, or released when nobody came.
DUE_AT_DOOR = (BookingStatus.CONFIRMED, BookingStatus.RELEASED)
# ``Booking.source`` of people let in at the door without a booking (services/checkin.py).
WALK_IN_SOURCE = "walkin"


# ---------------------------------------------------------------------------------------
# Bookings over time
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DayBookings:
    """Seats booked on one Paris day, and the running total up to that day."""

    day: date
    seats: int
    bookings: int
    cumulative: int

    @property
    def moment(self) -> datetime:
        """Noon of the day in Paris, for the date filters (``short_day``) that want a moment."""
        return datetime.combine(self.day, time(12), tzinfo=PARIS)


def once_confirmed() -> ColumnElement[bool]:
    """SQL condition: a booking made ahead that is confirmed, or was at some point."""
    return and_(
        Booking.source != WALK_IN_SOURCE,
        or_(
            Booking.status.in_(DUE_AT_DOOR),
            and_(
                Booking.status == BookingStatus.CANCELLED,
                Booking.ended_reason.in_(ONCE_CONFIRMED_REASONS),
            ),
        ),
    )


def _utc_hour_bucket() -> ColumnElement[str]:
    """SQL text ``YYYY-MM-DD HH`` of ``Booking.created_at`` in UTC, on either database.

    Paris is a whole number of hours from UTC, so counting per UTC hour in SQL and then
    mapping each hour to its Paris date in Python gives exact Paris days, without time
    zone support in SQLite.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", Booking.created_at), "YYYY-MM-DD HH24")
    return func.strftime("%Y-%m-%d %H", Booking.created_at)


def bookings_per_day() -> list[DayBookings]:
    """Seats booked per Paris day (see the module docstring), with the cumulative total.

    One grouped query (per UTC hour); days without bookings between the first and the
    last booking day are included with zero seats, so the days are evenly spaced on a chart.
    """
    hours = (
        select(_utc_hour_bucket().label("hour"), Booking.seats.label("seats"))
        .where(once_confirmed())
        .subquery()
    )
    rows = db.session.execute(
        select(hours.c.hour, func.sum(hours.c.seats), func.count())
        .group_by(hours.c.hour)
        .order_by(hours.c.hour)
    )
    seats: dict[date, int] = defaultdict(int)
    parties: dict[date, int] = defaultdict(int)
    for hour, total, count in rows:
        moment = datetime.strptime(hour, "%Y-%m-%d %H").replace(tzinfo=UTC)
        day = paris(moment).date()
        seats[day] += int(total or 0)
        parties[day] += int(count)
    if not seats:
        return []
    first, last = min(seats), max(seats)
    result: list[DayBookings] = []
    running = 0
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        running += seats.get(day, 0)
        result.append(DayBookings(day, seats.get(day, 0), parties.get(day, 0), running))
    return result


# ---------------------------------------------------------------------------------------
# Per session, per kind, no-shows
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionStats:
    """The counts of one session (plain values: no ORM object, no personal data).

    ``confirmed``, ``offered``, ``waiting``: seats by booking status (walk-ins are
    confirmed). ``checked_in``: every seat let in at the door. ``expected``: seats booked
    ahead and due at the door (confirmed or released, not walk-ins); ``arrived``: how many
    of those were checked in. ``walk_ins``: seats of people let in without a booking.
    """

    session_id: int
    starts_at: datetime
    ends_at: datetime
    title: str
    kind: EventKind
    capacity: int
    confirmed: int
    offered: int
    waiting: int
    checked_in: int
    expected: int
    arrived: int
    walk_ins: int
    ended: bool
    moved_in: int = 0
    moved_out: int = 0

    @property
    def booked(self) -> int:
        """Seats taken: confirmed plus offered to a waiting party."""
        return self.confirmed + self.offered

    @property
    def fill(self) -> float | None:
        """(confirmed + offered) / capacity, or ``None`` for a session without seats."""
        return self.booked / self.capacity if self.capacity else None

    @property
    def missing(self) -> int:
        """Seats booked ahead whose people were not checked in."""
        return max(self.expected - self.arrived, 0)

    @property
    def no_show(self) -> float | None:
        """1 − arrived / expected seats of an ended session; ``None`` if not applicable."""
        if not self.ended or not self.expected:
            return None
        return self.missing / self.expected


@dataclass(frozen=True)
class SessionDay:
    """The sessions of one Paris day, in start order."""

    day: date
    sessions: list[SessionStats]


def session_stats(now: datetime | None = None) -> list[SessionStats]:
    """Every session that is not cancelled, in start order, with its seat counts.

    One query: the bookings are summed per session in a grouped subquery (conditional
    sums), joined to the sessions and their events.
    """
    now = now or utcnow()
    moves = moves_per_session()
    status = Booking.status
    walk_in = Booking.source == WALK_IN_SOURCE
    due = and_(status.in_(DUE_AT_DOOR), ~walk_in)
    checked = case(
        (Booking.checked_in_seats > Booking.seats, Booking.seats),
        else_=Booking.checked_in_seats,
    )

    def total(
        condition: ColumnElement[bool], value: ColumnElement[int] | InstrumentedAttribute[int]
    ) -> ColumnElement[int]:
        """Sum of ``value`` over the bookings that meet ``condition``."""
        return func.sum(case((condition, value), else_=0))

    per_session = (
        select(
            Booking.session_id.label("session_id"),
            total(status == BookingStatus.CONFIRMED, Booking.seats).label("confirmed"),
            total(status == BookingStatus.OFFERED, Booking.seats).label("offered"),
            total(status == BookingStatus.WAITING, Booking.seats).label("waiting"),
            total(status.in_(DUE_AT_DOOR), checked).label("checked_in"),
            total(due, Booking.seats).label("expected"),
            total(due, checked).label("arrived"),
            total(and_(status == BookingStatus.CONFIRMED, walk_in), Booking.seats).label(
                "walk_ins"
            ),
        )
        .group_by(Booking.session_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            EventSession.id,
            EventSession.starts_at,
            EventSession.ends_at,
            EventSession.capacity,
            Event.title,
            Event.kind,
            per_session.c.confirmed,
            per_session.c.offered,
            per_session.c.waiting,
            per_session.c.checked_in,
            per_session.c.expected,
            per_session.c.arrived,
            per_session.c.walk_ins,
        )
        .join(Event, EventSession.event_id == Event.id)
        .outerjoin(per_session, per_session.c.session_id == EventSession.id)
        .where(EventSession.cancelled_at.is_(None))
        .order_by(EventSession.starts_at, Event.title, EventSession.id)
    )
    return [
        SessionStats(
            session_id=row.id,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            title=row.title,
            kind=EventKind(row.kind),
            capacity=int(row.capacity),
            confirmed=int(row.confirmed or 0),
            offered=int(row.offered or 0),
            waiting=int(row.waiting or 0),
            checked_in=int(row.checked_in or 0),
            expected=int(row.expected or 0),
            arrived=int(row.arrived or 0),
            walk_ins=int(row.walk_ins or 0),
            ended=row.ends_at <= now,
            moved_in=moves.moved_in[row.id],
            moved_out=moves.moved_out[row.id],
        )
        for row in rows
    ]


def by_day(sessions: list[SessionStats]) -> list[SessionDay]:
    """Group sessions (already in start order) by their Paris day."""
    days: dict[date, list[SessionStats]] = {}
    for item in sessions:
        days.setdefault(paris(item.starts_at).date(), []).append(item)
    return [SessionDay(day, items) for day, items in days.items()]


@dataclass(frozen=True)
class KindStats:
    """Seats and capacity summed over the non-cancelled sessions of one kind."""

    kind: EventKind
    sessions: int
    capacity: int
    booked: int

    @property
    def fill(self) -> float | None:
        """Booked seats / capacity, or ``None`` when the kind has no seats."""
        return self.booked / self.capacity if self.capacity else None


def kind_stats(sessions: list[SessionStats]) -> list[KindStats]:
    """Fill rate per kind of event, in the kinds' declared order (kinds with sessions only)."""
    sums: dict[EventKind, list[int]] = {}
    for item in sessions:
        entry = sums.setdefault(item.kind, [0, 0, 0])
        entry[0] += 1
        entry[1] += item.capacity
        entry[2] += item.booked
    return [KindStats(kind, *sums[kind]) for kind in EventKind if kind in sums]


@dataclass(frozen=True)
class NoShowStats:
    """No-shows of the sessions that have ended, one by one and overall."""

    sessions: list[SessionStats]
    expected: int
    arrived: int
    walk_ins: int

    @property
    def missing(self) -> int:
        """Seats booked ahead whose people were not checked in, over every ended session."""
        return max(self.expected - self.arrived, 0)

    @property
    def rate(self) -> float | None:
        """Overall missing / expected seats; ``None`` when no seat was booked ahead."""
        return self.missing / self.expected if self.expected else None


def no_show_stats(sessions: list[SessionStats]) -> NoShowStats:
    """No-shows of the ended sessions among ``sessions``."""
    ended = [item for item in sessions if item.ended]
    return NoShowStats(
        sessions=ended,
        expected=sum(item.expected for item in ended),
        arrived=sum(item.arrived for item in ended),
        walk_ins=sum(item.walk_ins for item in ended),
    )


# ---------------------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------------------


@dataclass
class Statistics:
    """Everything the statistics page shows."""

    days: list[DayBookings]
    sessions: list[SessionStats]
    session_days: list[SessionDay]
    kinds: list[KindStats]
    no_show: NoShowStats
    day_axis: Axis
    cumulative_axis: Axis
    capacity: int = 0
    booked: int = 0

    @property
    def fill(self) -> float | None:
        """Booked seats / capacity over every non-cancelled session."""
        return self.booked / self.capacity if self.capacity else None

    @property
    def full_sessions(self) -> int:
        """How many sessions have every seat taken."""
        return sum(1 for item in self.sessions if item.capacity and item.booked >= item.capacity)

    @property
    def total_booked(self) -> int:
        """Seats booked over time (the last cumulative value)."""
        return self.days[-1].cumulative if self.days else 0


def statistics(now: datetime | None = None) -> Statistics:
    """Every figure of the statistics page, from two queries."""
    days = bookings_per_day()
    sessions = session_stats(now)
    return Statistics(
        days=days,
        sessions=sessions,
        session_days=by_day(sessions),
        kinds=kind_stats(sessions),
        no_show=no_show_stats(sessions),
        day_axis=axis(max((d.seats for d in days), default=0)),
        cumulative_axis=axis(days[-1].cumulative if days else 0),
        capacity=sum(item.capacity for item in sessions),
        booked=sum(item.booked for item in sessions),
    )


def percent(value: float | None) -> str:
    """A rate as « 85 % » (in the interface's language); « — » when there is none."""
    return "—" if value is None else format_percent(value)
