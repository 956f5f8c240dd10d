"""Bookings: a party of one or more seats for one session."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from ..timeutil import utcnow
from .programme import EventSession
from .types import UTCDateTime, enum_column


class BookingStatus(enum.StrEnum):
    """Where a booking stands. Only CONFIRMED and OFFERED hold seats in the ledger."""

    CONFIRMED = "confirmed"
    WAITING = "waiting"
    OFFERED = "offered"
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # a waiting-list offer that was not accepted in time
    RELEASED = "released"  # did not come by the start: seats given to people at the door


SEAT_HOLDING_STATUSES = (BookingStatus.CONFIRMED, BookingStatus.OFFERED)


class Booking(Model):
    """A party's booking, reachable by the public only through its secret ``token``."""

    __table_args__ = (
        CheckConstraint("seats >= 1", name="at_least_one_seat"),
        Index("ix_booking_session_status", "session_id", "status"),
        Index("ix_booking_status_offer_expires_at", "status", "offer_expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("event_session.id"))
    # 256 bits from secrets.token_urlsafe: the only key to the booking's page.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    # Short code printed on the ticket and typed or scanned at the door.
    ticket_code: Mapped[str] = mapped_column(String(16), unique=True)
    # Set by the booking form so a double submit returns the same booking.
    request_nonce: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str] = mapped_column(String(40), default="")
    seats: Mapped[int]
    status: Mapped[BookingStatus] = mapped_column(
        enum_column(BookingStatus),
        default=BookingStatus.CONFIRMED,
    )
    accessibility_needs: Mapped[str] = mapped_column(Text, default="")
    locale: Mapped[str] = mapped_column(String(8), default="fr")
    source: Mapped[str] = mapped_column(String(20), default="public")
    # A waiting row that, once its offer is accepted, becomes a change of this booking (the
    # "lead"): the lead takes this row's session and seats, and this row ends. A confirmed
    # lead waiting to move elsewhere or for extra seats keeps its seats meanwhile; a waiting
    # lead with such rows is one party waiting on several sessions. See services/waitlist.py.
    changes_booking_id: Mapped[int | None] = mapped_column(
        ForeignKey("booking.id"), default=None, index=True
    )
    # A group's booking made with the code of a hold (models/group_hold.py): the booker is
    # the teacher or leader, ``adults`` the accompanying adults counted in ``seats``.
    group_hold_id: Mapped[int | None] = mapped_column(
        ForeignKey("group_hold.id"), default=None, index=True
    )
    adults: Mapped[int] = mapped_column(default=0)
    # Waiting list: order is (priority desc, created_at, id); see services/waitlist.py.
    priority: Mapped[int] = mapped_column(default=0)
    priority_reason: Mapped[str] = mapped_column(String(300), default="")
    passed_over: Mapped[int] = mapped_column(default=0)
    offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Why a booking ended: cancelled, declined, expired, left, session_cancelled.
    ended_reason: Mapped[str] = mapped_column(String(30), default="")
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # How many of the party's seats were checked in at the door (0 = nobody yet).
    checked_in_seats: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Set when the people's details were anonymised (GDPR: erased by the booker, or purged
    # some days after the session); the row stays for the seat counts and statistics.
    personal_data_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    session: Mapped[EventSession] = relationship(lazy="joined", innerjoin=True)

    @property
    def is_active(self) -> bool:
        """Still confirmed, waiting or offered (not cancelled nor expired)."""
        return self.status in (
            BookingStatus.CONFIRMED,
            BookingStatus.WAITING,
            BookingStatus.OFFERED,
        )

    @property
    def holds_seats(self) -> bool:
        """Whether this booking counts in its session's seat ledger."""
        return self.status in SEAT_HOLDING_STATUSES
