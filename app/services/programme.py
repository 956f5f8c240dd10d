"""Reading the programme: what can be booked, and how full each session is."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import groupby

from flask import current_app
from sqlalchemy import ScalarSelect, func, select

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
    if session.opening_pending or (
        session.booking_opens_at is not None and now < session.booking_opens_at
    ):
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
        opens_at = None if session.opening_pending else session.booking_opens_at
        raise BookingClosed(state.value, opens_at=opens_at)


def get_session(session_id: int) -> EventSession:
    """Return a session by id or raise ``SessionNotFound``."""
    session = db.session.get(EventSession, session_id)
    if session is None:
        raise SessionNotFound(session_id)
    return session


def _first_public_edition(now: datetime) -> ScalarSelect[int | None]:
    """SQL: the oldest edition the public still sees (NULL when there is no event at all).

    Past editions leave the public pages: an edition is past once every session of it has
    ended and a newer edition exists. So the public sees the editions from the oldest one
    with a session still to come or under way, or else the newest one, onwards.
    """
    running = (
        select(func.min(Event.edition))
        .join(EventSession, EventSession.event_id == Event.id)
        .where(EventSession.ends_at > now, EventSession.cancelled_at.is_(None))
        .scalar_subquery()
    )
    newest = select(func.max(Event.edition)).scalar_subquery()
    return select(func.coalesce(running, newest)).scalar_subquery()


def first_public_edition(now: datetime | None = None) -> int | None:
    """The oldest edition the public pages show (see ``_first_public_edition``)."""
    return db.session.scalar(select(_first_public_edition(now or utcnow())))


def list_sessions(
    kind: EventKind | None = None,
    event_id: int | None = None,
    *,
    upcoming: bool = False,
    public: bool = False,
) -> list[EventSession]:
    """All sessions in date order, events loaded; optionally of one kind or one event.

    ``upcoming`` keeps only sessions neither cancelled nor started; ``public`` leaves out
    the past editions (``first_public_edition``).
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
    if public:  # folded into the one statement: the live poll runs it
        stmt = stmt.where(Event.edition >= _first_public_edition(utcnow()))
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
