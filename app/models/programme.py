"""The programme: venues, events and their bookable sessions."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from ..timeutil import paris, utcnow
from .types import UTCDateTime, enum_column


class EventKind(enum.StrEnum):
    """What kind of event this is; drives filters, icons and wording."""

    VISIT = "visit"  # guided exhibition visit
    FILM = "film"
    CONFERENCE = "conference"
    HIKE = "hike"
    PRO_DAY = "pro_day"


class Venue(Model):
    """A place where sessions happen, with what a disabled visitor needs to know."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    step_free: Mapped[bool] = mapped_column(default=False)
    access_notes: Mapped[str] = mapped_column(Text, default="")

    events: Mapped[list[Event]] = relationship(back_populates="venue")


def this_year() -> int:
    """The Paris calendar year now: the edition of an event created without one."""
    return paris(utcnow()).year


class Event(Model):
    """One programme item (a film, a talk, a hike...) that has one or more sessions.

    ``edition`` is the festival's year the event belongs to; ``copied_from_id`` points at
    the event of an earlier edition it was copied from (services/editions.py), so copying
    an edition twice finds what it already made.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[EventKind] = mapped_column(enum_column(EventKind))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    speakers: Mapped[str] = mapped_column(String(300), default="")
    organisers: Mapped[str] = mapped_column(String(300), default="")
    venue_id: Mapped[int] = mapped_column(ForeignKey("venue.id"))
    accessibility_notes: Mapped[str] = mapped_column(Text, default="")
    distance_km: Mapped[float | None] = mapped_column(default=None)
    difficulty: Mapped[str] = mapped_column(String(50), default="")  # easy, moderate, hard
    # True: freed seats are offered to the waiting list automatically; False: by hand only.
    waitlist_auto: Mapped[bool] = mapped_column(default=True)
    edition: Mapped[int] = mapped_column(default=this_year, index=True)
    copied_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("event.id"), default=None, index=True
    )
    # Practical details, shown on the session page and in the mails (English: optional,
    # the French is shown when it is empty).
    meeting_point: Mapped[str] = mapped_column(Text, default="")
    meeting_point_en: Mapped[str] = mapped_column(Text, default="")
    what_to_bring: Mapped[str] = mapped_column(Text, default="")
    what_to_bring_en: Mapped[str] = mapped_column(Text, default="")
    access_info: Mapped[str] = mapped_column(Text, default="")
    access_info_en: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    venue: Mapped[Venue] = relationship(back_populates="events", lazy="joined", innerjoin=True)
    sessions: Mapped[list[EventSession]] = relationship(
        back_populates="event", order_by="EventSession.starts_at"
    )


class EventSession(Model):
    """A dated, bookable occurrence of an event with a limited number of seats.

    ``seats_taken`` is the seat ledger: confirmed seats plus seats held by open
    waiting-list offers plus the unused seats of unreleased group holds. It only ever changes through ``services.ledger`` in the same
    transaction as the booking rows it accounts for; the CHECK constraint is the last
    line of defence against an oversell.
    """

    __tablename__ = "event_session"
    __table_args__ = (
        CheckConstraint("capacity >= 0", name="capacity_not_negative"),
        CheckConstraint("seats_taken >= 0", name="seats_taken_not_negative"),
        CheckConstraint("seats_taken <= capacity", name="no_oversell"),
        CheckConstraint("seats_waiting >= 0", name="seats_waiting_not_negative"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_event_session_starts_at", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int]
    seats_taken: Mapped[int] = mapped_column(default=0)
    # Seats asked for by parties on the waiting list (kept like seats_taken, by the ledger).
    seats_waiting: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=0)
    booking_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    booking_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Booking stays closed, with no date yet, until an organiser opens it (a new edition's
    # sessions start so): setting an opening time, or opening now, clears it.
    opening_pending: Mapped[bool] = mapped_column(default=False)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    note: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    event: Mapped[Event] = relationship(back_populates="sessions", lazy="joined", innerjoin=True)

    @property
    def seats_free(self) -> int:
        """Seats neither confirmed nor held by an offer."""
        return max(self.capacity - self.seats_taken, 0)

    @property
    def seats_left(self) -> int:
        """Seats the public can book directly: none while anybody is waiting.

        Free seats then go through the waiting list's promotion, so nobody jumps the queue.
        """
        return 0 if self.seats_waiting > 0 else self.seats_free

    def closes_at(self, default_close: timedelta) -> datetime:
        """When booking closes: the explicit time, or ``default_close`` before the start."""
        return self.booking_closes_at or (self.starts_at - default_close)
