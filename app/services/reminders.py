"""Reminders: the ones each event's organisers asked for, else one the day before.

An event with reminder rules (« 2 jours avant », « 3 h avant ») gets those, each sent
once per booking: the ``sent_reminder`` row, unique per booking and rule, is written in
the same savepoint as the outbox row, so a second run, two crons on two hosts at once,
or a booking moved to another session of its event, never send one twice. An event with
no rule keeps the reminder the day before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from ..database import writing
from ..extensions import db
from ..models import Booking, BookingStatus, EventSession, ReminderRule, SentReminder
from ..timeutil import PARIS, paris, utcnow
from . import mail
from .audit import audit
from .errors import N_, DomainError

log = logging.getLogger(__name__)

# The longest delay a rule may have: a reminder a fortnight ahead is an announcement.
MAX_MINUTES_BEFORE = 14 * 24 * 60

# A pair (booking, rule) already taken inserts nothing and raises nothing, on either
# database: the run goes on with the next booking.
_SENT_ONCE = {
    "postgresql": postgresql_insert(SentReminder.__table__)
    .on_conflict_do_nothing(index_elements=["booking_id", "rule_id"])
    .returning(SentReminder.__table__.c.id),
    "sqlite": sqlite_insert(SentReminder.__table__)
    .on_conflict_do_nothing(index_elements=["booking_id", "rule_id"])
    .returning(SentReminder.__table__.c.id),
}


class InvalidDelay(DomainError):
    """A reminder is sent between a quarter of an hour and two weeks before the start."""

    code, status, field = "invalid_reminder_delay", 422, "amount"
    text = N_("Un rappel part entre 15 minutes et 14 jours avant le début.")


class DelayTaken(DomainError):
    """The event already has a reminder at that delay."""

    code, status, field = "reminder_delay_taken", 422, "amount"
    text = N_("Cet événement a déjà un rappel à ce moment-là.")


def tomorrow_bounds(now: datetime) -> tuple[datetime, datetime]:
    """Start and end of tomorrow, Paris time, as aware datetimes."""
    tomorrow = paris(now).date() + timedelta(days=1)
    start = datetime.combine(tomorrow, time.min, tzinfo=PARIS)
    return start, start + timedelta(days=1)


def reminder_key(booking: Booking) -> str:
    """The outbox key of a booking's day-before reminder for the session it is in now.

    A booking moved to another session gets that session's reminder; moved back, the
    first session's key is already taken, so it is not reminded twice.
    """
    return f"reminder:{booking.id}:{booking.session_id}"


def rules_of(event_id: int) -> list[ReminderRule]:
    """An event's reminder rules, the earliest first."""
    return list(
        db.session.scalars(
            select(ReminderRule)
            .where(ReminderRule.event_id == event_id)
            .order_by(ReminderRule.minutes_before.desc())
        )
    )


def add_rule(event_id: int, minutes_before: int, *, actor: str) -> ReminderRule:
    """Add a reminder ``minutes_before`` the start of each of the event's sessions."""
    if not 15 <= minutes_before <= MAX_MINUTES_BEFORE:
        raise InvalidDelay()
    with writing():
        if any(rule.minutes_before == minutes_before for rule in rules_of(event_id)):
            raise DelayTaken()
        rule = ReminderRule(event_id=event_id, minutes_before=minutes_before, created_by=actor)
        db.session.add(rule)
        db.session.flush()
        audit("reminder_rule.added", actor, event_id=event_id, minutes_before=minutes_before)
        return rule


def remove_rule(event_id: int, rule_id: int, *, actor: str) -> bool:
    """Remove one of the event's reminders (those already queued still go)."""
    with writing():
        rule = db.session.get(ReminderRule, rule_id)
        if rule is None or rule.event_id != event_id:
            return False
        db.session.execute(SentReminder.__table__.delete().where(SentReminder.rule_id == rule_id))
        db.session.delete(rule)
        audit("reminder_rule.removed", actor, event_id=event_id, minutes_before=rule.minutes_before)
        return True


def _queue_one(queue: Callable[[], bool], booking: Booking, label: str) -> int:
    """Queue one reminder in a savepoint of its own; a failure costs only this one."""
    booking_id = booking.id
    try:
        with db.session.begin_nested():
            return int(queue())
    except SQLAlchemyError:
        log.exception("%s for booking %s not queued; the others go on", label, booking_id)
        return 0


def queue_day_before(now: datetime) -> int:
    """The day-before reminder, for confirmed bookings of tomorrow's sessions of events
    that have no rule of their own."""
    start, end = tomorrow_bounds(now)
    with_rules = select(ReminderRule.event_id)
    bookings = db.session.scalars(
        select(Booking)
        .join(EventSession, Booking.session_id == EventSession.id)
        .where(
            Booking.status == BookingStatus.CONFIRMED,
            Booking.reminder_sent_at.is_(None),
            Booking.email != "",
            EventSession.cancelled_at.is_(None),
            EventSession.starts_at >= start,
            EventSession.starts_at < end,
            EventSession.event_id.not_in(with_rules),
        )
        .order_by(Booking.id)
    ).all()
    queued = 0
    for booking in bookings:

        def queue(booking: Booking = booking) -> bool:
            added = mail.enqueue("reminder", booking, dedupe_key=reminder_key(booking))
            # Queued now or already for this session: either way it is done.
            booking.reminder_sent_at = now
            return added

        queued += _queue_one(queue, booking, "reminder")
    return queued


def queue_by_rules(now: datetime) -> int:
    """Every rule's reminder now due: between its moment and the session's start."""
    due = db.session.execute(
        select(Booking, ReminderRule)
        .join(EventSession, Booking.session_id == EventSession.id)
        .join(ReminderRule, ReminderRule.event_id == EventSession.event_id)
        .outerjoin(
            SentReminder,
            (SentReminder.booking_id == Booking.id) & (SentReminder.rule_id == ReminderRule.id),
        )
        .where(
            SentReminder.id.is_(None),
            Booking.status == BookingStatus.CONFIRMED,
            Booking.email != "",
            EventSession.cancelled_at.is_(None),
            EventSession.starts_at > now,
            EventSession.starts_at <= now + timedelta(minutes=MAX_MINUTES_BEFORE),
        )
        .order_by(Booking.id, ReminderRule.minutes_before.desc())
    ).all()
    statement = _SENT_ONCE[db.session.get_bind().dialect.name]
    queued = 0
    for booking, rule in due:
        moment = booking.session.starts_at - timedelta(minutes=rule.minutes_before)
        # Not yet; or booked after the moment: the confirmation just said it all.
        if now < moment or booking.created_at > moment:
            continue

        def queue(booking: Booking = booking, rule: ReminderRule = rule) -> bool:
            taken = db.session.execute(
                statement,
                {"booking_id": booking.id, "rule_id": rule.id, "session_id": booking.session_id},
            ).first()
            if taken is None:  # another run took this pair first
                return False
            return mail.enqueue(
                "reminder", booking, dedupe_key=f"reminder:{booking.id}:rule:{rule.id}"
            )

        queued += _queue_one(queue, booking, "reminder by rule")
    return queued


def queue_reminders(now: datetime | None = None) -> int:
    """Write every reminder now due to the outbox; return how many were queued.

    Each booking is queued in a savepoint of its own and a pair already taken is skipped,
    so one row that cannot be queued never costs the others their reminder.
    """
    now = now or utcnow()
    with writing():
        return queue_day_before(now) + queue_by_rules(now)
