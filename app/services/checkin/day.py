"""What a door tablet keeps for working offline: the day's sessions and who may come.

The tablet stores this in IndexedDB and works from it when the Wi-Fi drops. Only what
the door needs (names, seats, ticket codes, status, check-ins, the door's queue; no
e-mail, no phone), only for the sessions of today, and of tomorrow from the evening
before (the first tablets are set up the night before).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from ...extensions import db
from ...models import Booking, BookingStatus, CheckIn, EventSession
from ...timeutil import PARIS, paris, utcnow
from .. import ledger
from ..programme import default_close
from ..questions import AnswerLine, answer_lines
from ..seat_reads import settle
from .lists import StandbyPlace, standby_board, waiting_ranks
from .standby import booking_has_closed, door_may_take_seats

# From this hour (Paris) the tablets also keep tomorrow's sessions.
EVENING_HOUR = 18

# Statuses the door lets in; the others are kept as a ticket code and a status only, so
# an offline tablet can still say "cancelled" or "on the waiting list" instead of "unknown".
ADMISSIBLE = (BookingStatus.CONFIRMED, BookingStatus.OFFERED, BookingStatus.RELEASED)
REFUSED = (BookingStatus.WAITING, BookingStatus.CANCELLED, BookingStatus.EXPIRED)


@dataclass
class DoorSessionData:
    """One session as the tablet keeps it."""

    session: EventSession
    door_may_take_seats: bool
    # Once booking has closed, the waiting list's parties are rows of the door's list,
    # which may join the door's queue at their rank (``waiting.join_standby``).
    booking_closed: bool = False
    bookings: list[Booking] = field(default_factory=list)
    refused: list[Booking] = field(default_factory=list)
    last_check_ins: dict[int, CheckIn] = field(default_factory=dict)
    standby: list[StandbyPlace] = field(default_factory=list)
    waiting_ranks: dict[int, int] = field(default_factory=dict)
    # Each admissible booking's answers to the event's questions (booking id → lines).
    answers: dict[int, list[AnswerLine]] = field(default_factory=dict)

    @property
    def closes_at(self) -> datetime:
        """When online booking closes (a waiting party may wait at the door from then)."""
        return self.session.closes_at(default_close())

    @property
    def waiting(self) -> list[Booking]:
        """The waiting list's parties shown at the door, in the list's order.

        A row standing for another booking's change is not a party at the door: its
        lead's ticket is the one the party holds (as on the server's board).
        """
        if not self.booking_closed:
            return []
        rows = [
            b
            for b in self.refused
            if b.status is BookingStatus.WAITING
            and b.changes_booking_id is None
            and b.id in self.waiting_ranks
        ]
        return sorted(rows, key=lambda b: self.waiting_ranks[b.id])

    @property
    def at_the_door(self) -> set[int]:
        """The waiting-list parties already on the door's queue (by booking id)."""
        return {p.entry.booking_id for p in self.standby if p.list_rank and p.entry.booking_id}


@dataclass
class DoorDayData:
    """The days a tablet keeps, until when, and their sessions."""

    days: list[date]
    keep_until: datetime
    sessions: list[DoorSessionData]


def door_days(now: datetime) -> list[date]:
    """Today (Paris); tomorrow too from ``EVENING_HOUR``."""
    local = paris(now)
    today = local.date()
    return [today, today + timedelta(days=1)] if local.hour >= EVENING_HOUR else [today]


def day_start(day: date) -> datetime:
    """Midnight in Paris at the start of ``day``."""
    return datetime.combine(day, time(0), tzinfo=PARIS)


def day_version(now: datetime | None = None) -> str:
    """A cheap version of what ``day_data`` gives, without loading it.

    The change counter moves in the same transaction as any change to bookings, check-ins,
    the door's queue or sessions (``ledger``); the days kept and the minute cover what
    changes with the clock alone (tomorrow from the evening, booking closing, which lets
    the door take seats and shows the waiting list). Lapsed offers are settled first, so
    the counter counts what settling changed. Read it before the rows it stands for.
    """
    now = now or utcnow()
    settle()
    days = door_days(now)
    minute = int(now.timestamp() // 60)
    return f"{ledger.change_counter()}-{days[0].isoformat()}-{len(days)}-{minute}"


def day_data(now: datetime | None = None) -> DoorDayData:
    """The sessions of the door's days, each with its bookings, check-ins and door queue."""
    now = now or utcnow()
    settle()
    days = door_days(now)
    start, end = day_start(days[0]), day_start(days[-1] + timedelta(days=1))
    sessions = list(
        db.session.scalars(
            select(EventSession)
            .where(EventSession.starts_at >= start, EventSession.starts_at < end)
            .order_by(EventSession.starts_at, EventSession.id)
        )
    )
    by_id = {
        s.id: DoorSessionData(s, door_may_take_seats(s, now), booking_has_closed(s, now))
        for s in sessions
    }
    if by_id:
        _fill(by_id)
    return DoorDayData(days=days, keep_until=end, sessions=list(by_id.values()))


def _fill(by_id: dict[int, DoorSessionData]) -> None:
    """Bookings, latest standing check-ins, door queues and answers of these sessions.

    Three queries for all of them, then per session its door queue and, once booking has
    closed, its waiting list's ranks.
    """
    ids = list(by_id)
    for booking in db.session.scalars(
        select(Booking)
        .where(Booking.session_id.in_(ids), Booking.status.in_((*ADMISSIBLE, *REFUSED)))
        .order_by(Booking.name, Booking.id)
    ):
        target = by_id[booking.session_id]
        (target.bookings if booking.status in ADMISSIBLE else target.refused).append(booking)
    answers = answer_lines(b for data in by_id.values() for b in data.bookings)
    latest: dict[int, dict[int, CheckIn]] = defaultdict(dict)
    for entry in db.session.scalars(
        select(CheckIn)
        .where(CheckIn.session_id.in_(ids), CheckIn.undone_at.is_(None))
        .order_by(CheckIn.at, CheckIn.id)
    ):
        latest[entry.session_id][entry.booking_id] = entry
    for session_id, data in by_id.items():
        data.last_check_ins = latest[session_id]
        data.waiting_ranks = waiting_ranks(session_id) if data.booking_closed else {}
        data.standby = standby_board(data.session, data.waiting_ranks)
        data.answers = {b.id: answers[b.id] for b in data.bookings if b.id in answers}


def next_day_with_sessions(after: date) -> date | None:
    """The first day after ``after`` (Paris) with a session that is not cancelled."""
    first = db.session.scalar(
        select(EventSession.starts_at)
        .where(
            EventSession.starts_at >= day_start(after + timedelta(days=1)),
            EventSession.cancelled_at.is_(None),
        )
        .order_by(EventSession.starts_at)
        .limit(1)
    )
    return paris(first).date() if first is not None else None
