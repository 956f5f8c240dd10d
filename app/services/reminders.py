"""The reminder the day before: each confirmed booking gets it once."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select

from ..database import begin_write
from ..extensions import db
from ..models import Booking, BookingStatus, EventSession
from ..timeutil import PARIS, paris, utcnow
from . import mail


def tomorrow_bounds(now: datetime) -> tuple[datetime, datetime]:
    """Start and end of tomorrow, Paris time, as aware datetimes."""
    tomorrow = paris(now).date() + timedelta(days=1)
    start = datetime.combine(tomorrow, time.min, tzinfo=PARIS)
    return start, start + timedelta(days=1)


def queue_reminders(now: datetime | None = None) -> int:
    """Write a reminder to the outbox for every confirmed booking of tomorrow's sessions.

    ``reminder_sent_at`` and the outbox's unique ``dedupe_key`` make a second run (or two
    crons at once) add nothing. Returns how many reminders were queued.
    """
    now = now or utcnow()
    start, end = tomorrow_bounds(now)
    begin_write()
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
    for booking in bookings:
        booking.reminder_sent_at = now
        mail.enqueue("reminder", booking, dedupe_key=f"reminder:{booking.id}")
    return len(bookings)
