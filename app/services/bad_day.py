"""A bad day: every session of a day, or of an event, cancelled in one action.

A storm on the day of the Vialas hike: the organiser picks a day, an event or both, sees
what would be cancelled (``preview``), writes an optional word, and confirms
(``cancel_day``). One transaction cancels every session of the scope still to come by
the rule of a cancelled session (``organiser.end_session``: bookings end with
``session_cancelled``, offers and waiting rows end, the ledger and the audit log follow),
and writes one mail per address, whatever the number of its bookings that day, in the
language of its latest booking. The mail is rendered when sent, after the commit: it
offers, for each cancelled booking, the sessions of its event that have room for the
party then, each with a link that moves the booking there
(``plan_changes.move_cancelled``), re-checked at the click.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select

from ..database import writing
from ..extensions import db
from ..models import Booking, BookingStatus, Event, EventSession
from ..timeutil import PARIS, as_utc, utcnow
from . import mail, organiser, waiting_party, waitlist
from .audit import audit
from .bad_day_errors import (
    DayInvalid,
    EventNotFound,
    NothingToCancel,
    PreviewOutdated,
    ScopeMissing,
)
from .mail.texts import paragraphs
from .plan_changes import lock_sessions, rebook_targets

MAIL_KIND = "day_cancelled"


@dataclass(frozen=True)
class Scope:
    """What is cancelled: a Paris day, an event, or that event's sessions on that day."""

    day: date | None = None
    event_id: int | None = None

    def __post_init__(self) -> None:
        if self.day is None and self.event_id is None:
            raise ScopeMissing()


@dataclass(frozen=True)
class SessionFigures:
    """One session of the scope and the people it holds."""

    session: EventSession
    booked: int = 0  # confirmed parties
    booked_seats: int = 0
    offered: int = 0  # parties holding an offer
    waiting: int = 0  # waiting parties
    waiting_seats: int = 0


@dataclass(frozen=True)
class Preview:
    """What ``cancel_day`` would do now."""

    scope: Scope
    sessions: list[SessionFigures]
    begun: list[EventSession] = field(default_factory=list)  # left as they are
    addresses: int = 0  # how many people get the message

    @property
    def session_ids(self) -> list[int]:
        """The ids the confirmation must find again."""
        return [figures.session.id for figures in self.sessions]

    @property
    def bookings(self) -> int:
        """Every row that ends: booked, offered and waiting parties."""
        return sum(f.booked + f.offered + f.waiting for f in self.sessions)


@dataclass(frozen=True)
class Cancelled:
    """What ``cancel_day`` did."""

    sessions: int
    bookings: int
    mails: int


def parse_scope(day: str, event_id: str) -> Scope:
    """The scope as a form or a command types it: a day (YYYY-MM-DD), an event id, or both."""
    day, event_id = day.strip(), event_id.strip()
    parsed_day = None
    if day:
        try:
            parsed_day = date.fromisoformat(day)
        except ValueError:
            raise DayInvalid() from None
    parsed_event = None
    if event_id:
        if not event_id.isdigit() or db.session.get(Event, int(event_id)) is None:
            raise EventNotFound()
        parsed_event = int(event_id)
    return Scope(parsed_day, parsed_event)


def _sessions(scope: Scope, now: datetime) -> tuple[list[EventSession], list[EventSession]]:
    """The scope's sessions not cancelled: those still to come, and those begun, not over."""
    query = select(EventSession).where(EventSession.cancelled_at.is_(None))
    if scope.event_id is not None:
        query = query.where(EventSession.event_id == scope.event_id)
    if scope.day is not None:
        # The day as people in Alès live it: Paris midnight to midnight, summer time or not.
        start = as_utc(datetime.combine(scope.day, time(), tzinfo=PARIS))
        end = as_utc(datetime.combine(scope.day + timedelta(days=1), time(), tzinfo=PARIS))
        query = query.where(EventSession.starts_at >= start, EventSession.starts_at < end)
    rows = db.session.scalars(query.order_by(EventSession.starts_at, EventSession.id)).all()
    upcoming = [s for s in rows if s.starts_at > now]
    begun = [s for s in rows if s.starts_at <= now < s.ends_at]
    return upcoming, begun


def _address(email: str) -> str:
    """One person per address, whatever the case it was typed in."""
    return email.strip().lower()


def preview(scope: Scope, now: datetime | None = None) -> Preview:
    """The sessions ``cancel_day`` would cancel now, their people, and who gets a mail."""
    now = now or utcnow()
    upcoming, begun = _sessions(scope, now)
    ids = [s.id for s in upcoming]
    counts: dict[tuple[int, BookingStatus], tuple[int, int]] = {}
    addresses = 0
    if ids:
        active = (Booking.session_id.in_(ids), Booking.status.in_(waitlist.ACTIVE_STATUSES))
        for session_id, status, parties, seats in db.session.execute(
            select(Booking.session_id, Booking.status, func.count(), func.sum(Booking.seats))
            .where(*active)
            .group_by(Booking.session_id, Booking.status)
        ):
            counts[(session_id, status)] = (parties, int(seats or 0))
        addresses = len(
            {
                _address(email)
                for email in db.session.scalars(
                    select(Booking.email).where(*active, Booking.personal_data_purged_at.is_(None))
                )
            }
        )

    def figures(session: EventSession) -> SessionFigures:
        booked = counts.get((session.id, BookingStatus.CONFIRMED), (0, 0))
        waiting = counts.get((session.id, BookingStatus.WAITING), (0, 0))
        return SessionFigures(
            session,
            booked=booked[0],
            booked_seats=booked[1],
            offered=counts.get((session.id, BookingStatus.OFFERED), (0, 0))[0],
            waiting=waiting[0],
            waiting_seats=waiting[1],
        )

    return Preview(scope, [figures(s) for s in upcoming], begun, addresses)


def cancel_day(
    scope: Scope,
    *,
    note: str = "",
    expected: list[int] | None = None,
    actor: str,
    now: datetime | None = None,
) -> Cancelled:
    """Cancel every session of ``scope`` still to come, and tell each person once.

    ``expected``: the session ids the organiser saw in the preview; when the scope holds
    others now (a session added, one cancelled meanwhile), nothing is done
    (``PreviewOutdated``). Raises ``NothingToCancel`` when no session is left to cancel.
    """
    now = now or utcnow()
    note = note.strip()
    with writing():
        sessions, _ = _sessions(scope, now)
        ids = [s.id for s in sessions]
        if not ids:
            raise NothingToCancel()
        if expected is not None and sorted(expected) != sorted(ids):
            raise PreviewOutdated()
        # Every session touched, locked once in id order: those of the scope and those
        # where their waiting parties wait too (their lists run, their leads move).
        involved: set[int] = set()
        for session_id in ids:
            involved |= waiting_party.party_session_ids_on(session_id)
        locked = lock_sessions(*involved)
        ended: list[tuple[Booking, int, BookingStatus]] = []
        for session_id in ids:
            ended += organiser.end_session(locked[session_id], actor=actor, now=now, notify=False)
        mails = _one_mail_per_address(ended, note)
        audit(
            "sessions.cancelled_together",
            actor,
            session_id=ids[0] if len(ids) == 1 else None,
            sessions=ids,
            day=scope.day.isoformat() if scope.day else None,
            event_id=scope.event_id,
            bookings=len(ended),
            mails=mails,
        )
        return Cancelled(len(ids), len(ended), mails)


def _one_mail_per_address(ended: list[tuple[Booking, int, BookingStatus]], note: str) -> int:
    """One outbox row per address, listing every row of it that ended; how many rows."""
    by_address: dict[str, list[tuple[Booking, int, BookingStatus]]] = {}
    for row in ended:
        booking = row[0]
        if booking.personal_data_purged_at is None and booking.email.strip():
            by_address.setdefault(_address(booking.email), []).append(row)
    # The key makes "one per address" hold in the database too, for this action.
    action = uuid.uuid4().hex[:16]
    for address, rows in by_address.items():
        # Its latest booking speaks for it: the language it used last, its name.
        booking, session_id, _ = max(rows, key=lambda row: (row[0].created_at, row[0].id))
        digest = hashlib.sha256(address.encode()).hexdigest()[:32]
        mail.enqueue(
            MAIL_KIND,
            booking,
            dedupe_key=f"{MAIL_KIND}:{action}:{digest}",
            session_id=session_id,
            rows=[[row.id, on, was.value] for row, on, was in rows],
            note=note,
        )
    return len(by_address)


@dataclass
class MailEntry:
    """One cancelled booking in the mail: the sessions it lost, where it may go instead."""

    booking: Booking
    sessions: list[EventSession]
    waiting: bool  # it waited (or held an offer) rather than held seats
    offers: list[tuple[EventSession, str]]  # a session with room, and the link moving there


def mail_entries(
    rows: list[list[Any]], link: Callable[[Booking, EventSession], str]
) -> list[MailEntry]:
    """What the mail lists, read when it is rendered: the room is the room of now.

    A change row (a wish to move) is listed without offers: its booking stands where it is.
    """
    entries: dict[int, MailEntry] = {}
    for booking_id, session_id, was in rows:
        booking = db.session.get(Booking, booking_id)
        session = db.session.get(EventSession, session_id)
        if booking is None or session is None:
            continue
        waiting = was != BookingStatus.CONFIRMED.value
        entry = entries.setdefault(booking_id, MailEntry(booking, [], waiting, []))
        entry.sessions.append(session)
    for entry in entries.values():
        entry.offers = [(s, link(entry.booking, s)) for s in rebook_targets(entry.booking)]
    return sorted(entries.values(), key=lambda e: (e.sessions[0].starts_at, e.booking.id))


def context_for_mail(extra: dict[str, Any], link: Callable[[Booking, EventSession], str]) -> dict:
    """The template's values for a bad day's mail (``mail.render``)."""
    return {
        "entries": mail_entries(extra.get("rows") or [], link),
        "note_paragraphs": paragraphs(extra.get("note") or ""),
    }
