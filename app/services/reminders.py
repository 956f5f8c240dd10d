"""The reminder the day before: each confirmed booking gets it once per session."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from ..database import writing
from ..extensions import db
from ..models import Booking, BookingStatus, EventSession
from ..timeutil import PARIS, paris, utcnow
from . import mail

log = logging.getLogger(__name__)


def tomorrow_bounds(now: datetime) -> tuple[datetime, datetime]:
    """Start and end of tomorrow, Paris time, as aware datetimes."""
    tomorrow = paris(now).date() + timedelta(days=1)
    start = datetime.combine(tomorrow, time.min, tzinfo=PARIS)
    return start, start + timedelta(days=1)


def reminder_key(booking: Booking) -> str:
    """The outbox key of a booking's reminder for the session it is in now.

    A booking moved to another session gets that session's reminder; moved back, the
    first session's key is already taken, so it is not reminded twice.
    """
    return f"reminder:{booking.id}:{booking.session_id}"


def queue_reminders(now: datetime | None = None) -> int:
    """Write a reminder to the outbox for every confirmed booking of tomorrow's sessions.

    ``reminder_sent_at`` and the outbox's unique ``dedupe_key`` make a second run (or two
    crons at once) add nothing. Each booking is queued in a savepoint of its own and a key
    already taken is skipped, so one row that cannot be queued never costs the others
    their reminder. Returns how many reminders were queued.
    """
    now = now or utcnow()
    start, end = tomorrow_bounds(now)
    with writing():
        bookings = db.session.scalars(
            select(Booking)
            .join(EventSession, Booking.session_id == EventSession.id)
            .where(
                Booking.status == BookingStatus.CONFIRMED,
                Booking.reminder_sent_at.is_(None),
                EventSession.cancelled_at.is_(None),
                EventSession.starts_at >= start,
                EventSession.starts_at < end,
            )
            .order_by(Booking.id)
        ).all()
        queued = 0
        for booking in bookings:
            booking_id = booking.id
            try:
                with db.session.begin_nested():
                    added = mail.enqueue("reminder", booking, dedupe_key=reminder_key(booking))
                    # Queued now or already for this session: either way it is done.
                    booking.reminder_sent_at = now
            except SQLAlchemyError:
                log.exception("reminder for booking %s not queued; the others go on", booking_id)
                continue
            queued += added
        return queued
