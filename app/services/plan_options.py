"""What the booking page offers to change, and where a full session's page points.

The rules themselves are in plan_changes.py; this only reads what they would allow now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..models import Booking, BookingStatus, EventSession
from ..timeutil import paris, utcnow
from .plan_changes import (
    MOVE_TARGET_STATES,
    largest_party,
    may_move,
    rebook_targets,
    session_targets,
)
from .programme import BOOKABLE, Availability, availability


@dataclass(frozen=True)
class MoveChoice:
    """An upcoming session of the booking's event, and whether the booking may go there now."""

    session: EventSession
    open: bool


@dataclass(frozen=True)
class PlanOptions:
    """What the booking page offers to change."""

    move_choices: list[MoveChoice]
    can_grow: bool
    # The largest party the size field proposes (the booking's own size minus one when it
    # can only shrink).
    max_seats: int
    # A booking its session's cancellation ended: where the cancellation mail's links lead.
    rebook_targets: tuple[EventSession, ...] = ()

    @property
    def can_move(self) -> bool:
        """Whether any session may be chosen now."""
        return any(choice.open for choice in self.move_choices)


def plan_options(booking: Booking, now: datetime | None = None) -> PlanOptions:
    """What the visitor may change on their booking right now."""
    now = now or utcnow()
    choices: list[MoveChoice] = []
    if may_move(booking, now=now):
        targets = {s.id for s in session_targets(booking.session, now=now)}
        choices = [
            MoveChoice(s, s.id in targets)
            for s in booking.session.event.sessions
            if s.id != booking.session_id and s.cancelled_at is None and now < s.starts_at
        ]
    can_grow = (
        booking.status is BookingStatus.CONFIRMED
        and booking.changes_booking_id is None
        and availability(booking.session, now) in MOVE_TARGET_STATES
    )
    largest = largest_party(booking) if can_grow else booking.seats
    can_grow = can_grow and largest > booking.seats
    return PlanOptions(
        choices,
        can_grow,
        largest if can_grow else max(booking.seats - 1, 1),
        tuple(rebook_targets(booking, now)),
    )


def elsewhere(session: EventSession, now: datetime | None = None) -> list[EventSession]:
    """A full session's page points here: the event's other sessions one can book now.

    The same Paris day first (the visitor came for that day), then by start.
    """
    now = now or utcnow()
    if availability(session, now) is not Availability.FULL:
        return []
    day = paris(session.starts_at).date()
    open_ones = [
        s for s in session.event.sessions if s.id != session.id and availability(s, now) in BOOKABLE
    ]
    return sorted(open_ones, key=lambda s: (paris(s.starts_at).date() != day, s.starts_at))
