"""Reading the programme: what can be booked, and how full each session is."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import groupby

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import Event, EventKind, EventSession
from ..timeutil import paris, utcnow
from .booking_errors import BookingClosed, SessionNotFound


class Availability(enum.StrEnum):
    """What the public sees of a session's seats."""

    OPEN = "open"
    FEW = "few"  # "Dernières places"
    FULL = "full"
    NOT_YET_OPEN = "not_yet_open"
    CLOSED = "closed"
    PAST = "past"
    CANCELLED = "cancelled"


BOOKABLE = (Availability.OPEN, Availability.FEW)


def default_close() -> timedelta:
    """How long before the start online booking closes when a session sets no time."""
    return timedelta(minutes=current_app.config["BOOKING_CLOSE_MINUTES"])


def few_seats_threshold(capacity: int) -> int:
    """From how many seats left a session shows "Dernières places" (20 %, at most 5)."""
    return max(1, min(5, math.ceil(capacity * 0.2)))


def availability(session: EventSession, now: datetime | None = None) -> Availability:
    """Classify a session for the public at ``now``."""
    now = now or utcnow()
    if session.cancelled_at is not None:
        return Availability.CANCELLED
    if now >= session.starts_at:
        return Availability.PAST
    if session.booking_opens_at is not None and now < session.booking_opens_at:
        return Availability.NOT_YET_OPEN
    if now >= session.closes_at(default_close()):
        return Availability.CLOSED
    if session.seats_left <= 0:
        return Availability.FULL
    if session.seats_left <= few_seats_threshold(session.capacity):
        return Availability.FEW
    return Availability.OPEN


def ensure_bookable(session: EventSession, now: datetime | None = None) -> None:
    """Raise ``BookingClosed`` unless the session takes bookings at ``now``.

    A full session is bookable in this sense: the seat ledger gives the precise refusal.
    """
    state = availability(session, now)
    if state in (Availability.CANCELLED, Availability.PAST, Availability.CLOSED):
        raise BookingClosed(state.value)
    if state is Availability.NOT_YET_OPEN:
        raise BookingClosed(state.value, opens_at=session.booking_opens_at)


def get_session(session_id: int) -> EventSession:
    """Return a session by id or raise ``SessionNotFound``."""
    session = db.session.get(EventSession, session_id)
    if session is None:
        raise SessionNotFound(session_id)
    return session


def list_sessions(
    kind: EventKind | None = None, event_id: int | None = None, *, upcoming: bool = False
) -> list[EventSession]:
    """All sessions in date order, events loaded; optionally of one kind or one event.

    ``upcoming`` keeps only sessions neither cancelled nor started.
    """
    stmt = (
        select(EventSession).join(EventSession.event).order_by(EventSession.starts_at, Event.title)
    )
    if kind is not None:
        stmt = stmt.where(Event.kind == kind)
    if event_id is not None:
        stmt = stmt.where(EventSession.event_id == event_id)
    if upcoming:
        stmt = stmt.where(EventSession.cancelled_at.is_(None), EventSession.starts_at > utcnow())
    return list(db.session.execute(stmt).unique().scalars())


@dataclass(frozen=True)
class ProgrammeDay:
    """The sessions of one day, in Europe/Paris time."""

    day: date
    sessions: list[EventSession]


def group_by_day(sessions: list[EventSession]) -> list[ProgrammeDay]:
    """Group sessions (already in start order) by their local day."""
    return [
        ProgrammeDay(day, list(items))
        for day, items in groupby(sessions, key=lambda s: paris(s.starts_at).date())
    ]
