"""What organisers do from the dashboard, through the same rules as the public.

Every seat change goes through the ledger and the waiting list's promotion, with the
session rows locked in id order; every change is written to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from ..database import writes, writing
from ..extensions import db
from ..models import Booking, BookingStatus, Event, EventKind, EventSession, Venue
from ..models.programme import this_year
from ..timeutil import utcnow
from . import checkin, ledger, mail, party_endings, plan_changes, waiting_party, waitlist
from .audit import audit
from .booking_errors import (  # noqa: F401 (NotMovable, NotSameEvent: the move's, named here too)
    BookingNotFound,
    CapacityBelowBooked,
    NotMovable,
    NotSameEvent,
    SessionFull,
    SessionNotFound,
)
from .errors import N_, DomainError
from .plan_changes import lock_sessions


class NotWaiting(DomainError):
    """Offers and priorities are for parties on the waiting list."""

    code = "not_waiting"
    text = N_("Cette personne n’est pas (ou plus) sur la liste d’attente.")


class OfferImpossible(DomainError):
    """No offer can be made now (booking closed)."""

    code = "offer_impossible"
    text = N_(
        "Les réservations sont closes pour cette séance : plus aucune proposition n’est possible."
    )


class VenueNotFound(DomainError):
    """An event's venue must exist."""

    code, status, field = "venue_not_found", 404, "venue_id"
    positional = ("venue_id",)
    text = N_("Ce lieu n’existe pas.")


def booking_by_id(booking_id: int) -> Booking:
    """A booking by id (organisers see ids, not tokens)."""
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        raise BookingNotFound()
    return booking


def all_events() -> list[Event]:
    """Every event, by title (the dashboard's lists and choices)."""
    return list(db.session.scalars(select(Event).order_by(Event.title, Event.id)).unique())


def find_event(event_id: int | None) -> Event | None:
    """An event by id, or ``None``."""
    return db.session.get(Event, event_id) if event_id else None


def all_venues() -> list[Venue]:
    """Every venue, by name (the event form's choices)."""
    return list(db.session.scalars(select(Venue).order_by(Venue.name)))


def exhibition_event() -> Event | None:
    """The event a new specimen is shown during unless told otherwise: the guided exhibition."""
    return db.session.scalars(
        select(Event).where(Event.kind == EventKind.VISIT).order_by(Event.title, Event.id).limit(1)
    ).first()


def move_targets(session: EventSession) -> list[EventSession]:
    """The sessions a booking of ``session`` may move to, as the dashboard offers them."""
    return plan_changes.session_targets(session, by_organiser=True)


@writes
def cancel_session(session_id: int, *, actor: str, now: datetime | None = None) -> int:
    """Cancel a session: every booking and waiting party ends, and is told by e-mail."""
    now = now or utcnow()
    # The sessions where its waiting parties wait too: their lists run, their leads move.
    session = lock_sessions(*waiting_party.party_session_ids_on(session_id))[session_id]
    return len(end_session(session, actor=actor, now=now, notify=True))


def end_session(
    session: EventSession, *, actor: str, now: datetime, notify: bool
) -> list[tuple[Booking, int, BookingStatus]]:
    """The rule of a cancelled session, the caller holding the locks of ``cancel_session``.

    Every active row ends (``session_cancelled``): its seats or waiting seats leave the
    ledger, its party follows ``party_endings.after_ending``. Returns each row ended with
    the session it was on (a waiting lead that waits elsewhere too has moved there since)
    and what it was there (booked, offered, waiting).
    ``notify``: each row gets the session's own mail; a bad day (``bad_day``) sends one
    per address instead.
    """
    if session.cancelled_at is not None:
        return []
    session_id = session.id
    session.cancelled_at = now
    affected = db.session.scalars(
        select(Booking)
        .where(Booking.session_id == session_id, Booking.status.in_(waitlist.ACTIVE_STATUSES))
        .execution_options(populate_existing=True)
    ).all()
    ended = []
    for booking in affected:
        previous = booking.status
        ended.append((booking, session_id, previous))
        if booking.status is BookingStatus.WAITING:
            ledger.add_waiting(session, -booking.seats)
        else:
            ledger.release_seats(session, booking.seats)
        booking.status = BookingStatus.CANCELLED
        booking.ended_reason = "session_cancelled"
        booking.cancelled_at = now
        if notify:
            mail.enqueue("session_cancelled", booking, session_id=session_id)
        db.session.flush()
        party_endings.after_ending(booking, previous, actor=actor, now=now, session_gone=True)
    audit("session.cancelled", actor, session_id=session_id, bookings=len(affected))
    return ended


@writes
def duplicate_session(session_id: int, starts_at: datetime, *, actor: str) -> EventSession:
    """A new session of the same event, same length and capacity, at ``starts_at``."""
    source = db.session.get(EventSession, session_id)
    if source is None:
        raise SessionNotFound(session_id)
    copy = EventSession(
        event_id=source.event_id,
        starts_at=starts_at,
        ends_at=starts_at + (source.ends_at - source.starts_at),
        capacity=source.capacity,
        note=source.note,
    )
    db.session.add(copy)
    db.session.flush()
    audit("session.duplicated", actor, session_id=copy.id, source=session_id)
    return copy


@dataclass(frozen=True)
class SessionFields:
    """What an organiser sets on a session."""

    starts_at: datetime
    ends_at: datetime
    capacity: int
    booking_opens_at: datetime | None = None
    booking_closes_at: datetime | None = None
    note: str = ""


@writes
def save_session(
    event_id: int, fields: SessionFields, *, actor: str, session_id: int | None = None
) -> EventSession:
    """Create a session, or update one; capacity changes go through the waiting list."""
    if session_id is None:
        session = EventSession(
            event_id=event_id,
            capacity=fields.capacity,
            starts_at=fields.starts_at,
            ends_at=fields.ends_at,
        )
        db.session.add(session)
    else:
        session = lock_sessions(session_id)[session_id]
    session.starts_at, session.ends_at = fields.starts_at, fields.ends_at
    opens_at = fields.booking_opens_at
    # Whole minutes: the live counts switch a session to open on the minute (app/live.py).
    session.booking_opens_at = opens_at.replace(second=0, microsecond=0) if opens_at else None
    session.booking_closes_at = fields.booking_closes_at
    if opens_at is not None:
        session.opening_pending = False  # an opening time given is booking opened
    session.note = fields.note
    db.session.flush()
    if session_id is not None and fields.capacity != session.capacity:
        set_capacity(session.id, fields.capacity, actor=actor)
    audit("session.saved", actor, session_id=session.id)
    return session


@dataclass(frozen=True)
class EventFields:
    """What an organiser sets on an event."""

    title: str
    kind: EventKind
    venue_id: int
    summary: str = ""
    description: str = ""
    speakers: str = ""
    organisers: str = ""
    accessibility_notes: str = ""
    distance_km: float | None = None
    difficulty: str = ""
    waitlist_auto: bool = True
    # The festival's year; None: a new event joins the newest edition, an edited one keeps its.
    edition: int | None = None


@writes
def save_event(fields: EventFields, *, actor: str, event_id: int | None = None) -> Event:
    """Create or update an event."""
    if db.session.get(Venue, fields.venue_id) is None:
        raise VenueNotFound(fields.venue_id)
    event = db.session.get(Event, event_id) if event_id else None
    if event is None:
        newest = db.session.scalar(select(func.max(Event.edition)))
        event = Event(
            slug=unique_slug(fields.title),
            kind=fields.kind,
            title=fields.title,
            venue_id=fields.venue_id,
            edition=fields.edition or newest or this_year(),
        )
        db.session.add(event)
    for name, value in fields.__dict__.items():
        if name != "edition" or value is not None:
            setattr(event, name, value)
    db.session.flush()
    audit("event.saved", actor, event_id=event.id)
    return event


def unique_slug(title: str) -> str:
    """A URL-friendly slug from a title, unique among events."""
    import re
    import unicodedata

    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:100] or "evenement"
    slug, number = base, 2
    while db.session.scalar(select(Event.id).where(Event.slug == slug)) is not None:
        slug, number = f"{base}-{number}", number + 1
    return slug


def move_booking(
    booking_id: int, target_session_id: int, *, actor: str, now: datetime | None = None
) -> Booking:
    """Move a confirmed booking to another session of the same event, seats and all.

    The visitors' own move (services/plan_changes.py), with the organisers' limits.
    """
    return plan_changes.move(
        booking_by_id(booking_id), target_session_id, actor=actor, now=now, by_organiser=True
    )


def offer_by_hand(booking_id: int, *, actor: str, now: datetime | None = None) -> Booking:
    """Offer free seats to one waiting party, whatever its place in the queue."""
    now = now or utcnow()
    booking = booking_by_id(booking_id)
    with writing():
        session = lock_sessions(booking.session_id)[booking.session_id]
        db.session.refresh(booking)
        if booking.status is not BookingStatus.WAITING:
            raise NotWaiting()
        if booking.seats > session.seats_free:
            raise SessionFull(seats_left=session.seats_free, seats_wanted=booking.seats)
        deadline = waitlist.offer_deadline(session, now)
        if deadline is None:
            raise OfferImpossible()
        waitlist.make_offer(booking, session, deadline, now, actor)
        audit("waitlist.offered_by_hand", actor, booking, seats=booking.seats)
        return booking


def set_priority(booking_id: int, priority: int, reason: str, *, actor: str) -> Booking:
    """Move a waiting party up (or down) the queue, saying why."""
    booking = booking_by_id(booking_id)
    with writing():
        session = lock_sessions(booking.session_id)[booking.session_id]
        db.session.refresh(booking)
        if booking.status is not BookingStatus.WAITING:
            raise NotWaiting()
        previous = booking.priority
        booking.priority, booking.priority_reason = priority, reason.strip()
        db.session.flush()
        audit(
            "waitlist.priority",
            actor,
            booking,
            before=previous,
            after=priority,
            reason=reason.strip(),
        )
        waitlist.promote(session, actor=actor)
        return booking


def default_duplicate_start(session: EventSession) -> datetime:
    """Where a duplicated session goes by default: a quarter of an hour after the original ends."""
    return session.ends_at + timedelta(minutes=15)


def set_capacity(
    session_id: int, capacity: int, *, actor: str, now: datetime | None = None
) -> EventSession:
    """Change a session's capacity; raising it makes offers, lowering below taken is refused.

    Waiting parties larger than the new capacity are told and leave the list, in the same
    transaction; the rest of the list then gets what it can (seats that were held for
    such a party, for instance).
    """
    now = now or utcnow()
    with writing():
        session = ledger.lock_session(session_id)
        if session is None:
            raise SessionNotFound(session_id)
        if capacity < session.seats_taken:
            raise CapacityBelowBooked(session.seats_taken)
        previous = session.capacity
        session.capacity = capacity
        db.session.flush()
        audit("session.capacity", actor, session_id=session.id, before=previous, after=capacity)
        removed = (
            waitlist.remove_too_large(session, actor=actor, now=now) if capacity < previous else []
        )
        if capacity > previous or removed:
            # The waiting list while booking is open, the door's queue once it has closed.
            checkin.give_freed_seats(session, actor=actor, now=now)
        return session
