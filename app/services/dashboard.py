"""What the organisers' overview shows: seats per session and for the week."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select

from ..extensions import db
from ..models import Booking, BookingStatus, EventSession, OutboxMessage, OutboxStatus
from .programme import ProgrammeDay, group_by_day, list_sessions

NEARLY_FULL = 0.85


@dataclass
class SessionFigures:
    """Seats of one session, by booking status."""

    session: EventSession
    confirmed: int = 0
    offered: int = 0
    waiting: int = 0
    waiting_parties: int = 0
    checked_in: int = 0

    @property
    def fill(self) -> float:
        """Confirmed and offered seats as a share of capacity (0 to 1)."""
        capacity = self.session.capacity
        return (self.confirmed + self.offered) / capacity if capacity else 1.0

    @property
    def stands_out(self) -> bool:
        """Nearly full, or people waiting: the organisers should look."""
        return self.session.cancelled_at is None and (self.fill >= NEARLY_FULL or self.waiting > 0)


@dataclass
class WeekFigures:
    """Totals over the week."""

    sessions: int = 0
    capacity: int = 0
    confirmed: int = 0
    offered: int = 0
    waiting: int = 0
    checked_in: int = 0
    days: list[ProgrammeDay] = field(default_factory=list)
    by_session: dict[int, SessionFigures] = field(default_factory=dict)


def seats_by_status(
    session_id: int | None = None,
) -> dict[int, dict[BookingStatus, tuple[int, int]]]:
    """(seats, parties) per session and status, in one grouped query (one session or all)."""
    stmt = select(Booking.session_id, Booking.status, func.sum(Booking.seats), func.count())
    if session_id is not None:
        stmt = stmt.where(Booking.session_id == session_id)
    result: dict[int, dict[BookingStatus, tuple[int, int]]] = defaultdict(dict)
    for sid, status, seats, parties in db.session.execute(
        stmt.group_by(Booking.session_id, Booking.status)
    ):
        result[sid][BookingStatus(status)] = (int(seats or 0), int(parties))
    return result


def checked_in_by_session(session_id: int | None = None) -> dict[int, int]:
    """Seats checked in at the door, per session (one session or all)."""
    stmt = select(Booking.session_id, func.sum(Booking.checked_in_seats)).where(
        Booking.checked_in_seats > 0
    )
    if session_id is not None:
        stmt = stmt.where(Booking.session_id == session_id)
    return {
        sid: int(total or 0) for sid, total in db.session.execute(stmt.group_by(Booking.session_id))
    }


def figures_for(
    session: EventSession,
    statuses: dict[int, dict[BookingStatus, tuple[int, int]]] | None = None,
    checked: dict[int, int] | None = None,
) -> SessionFigures:
    """One session's figures; pass the grouped counts when they are already at hand."""
    counts = (seats_by_status(session.id) if statuses is None else statuses).get(session.id, {})
    arrived = checked_in_by_session(session.id) if checked is None else checked
    return SessionFigures(
        session=session,
        confirmed=counts.get(BookingStatus.CONFIRMED, (0, 0))[0],
        offered=counts.get(BookingStatus.OFFERED, (0, 0))[0],
        waiting=counts.get(BookingStatus.WAITING, (0, 0))[0],
        waiting_parties=counts.get(BookingStatus.WAITING, (0, 0))[1],
        checked_in=arrived.get(session.id, 0),
    )


def week_figures() -> WeekFigures:
    """Every session with its figures, grouped by day, and the week's totals (3 queries)."""
    sessions = list_sessions()
    statuses = seats_by_status()
    checked = checked_in_by_session()
    week = WeekFigures(days=group_by_day(sessions))
    for session in sessions:
        figures = figures_for(session, statuses, checked)
        week.by_session[session.id] = figures
        if session.cancelled_at is None:
            week.sessions += 1
            week.capacity += session.capacity
            week.confirmed += figures.confirmed
            week.offered += figures.offered
            week.waiting += figures.waiting
            week.checked_in += figures.checked_in
    return week


def failed_mail_count() -> int:
    """E-mails the SMTP server refused for good: the organisers should know."""
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.FAILED)
        )
        or 0
    )
