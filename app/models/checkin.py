"""Check-in at the door: who came in, when, through which tablet; and the standby queue."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from ..timeutil import utcnow
from .booking import Booking
from .types import UTCDateTime, enum_column


class CheckIn(Model):
    """Seats of a booking let in at the door. An undone check-in stays, marked undone."""

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("event_session.id"), index=True)
    seats: Mapped[int]
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by: Mapped[str] = mapped_column(String(254))
    # Sent by the tablet with every tap: a retry after a dropped connection is recognised.
    nonce: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    undone_by: Mapped[str] = mapped_column(String(254), default="")

    booking: Mapped[Booking] = relationship(lazy="joined", innerjoin=True)


class StandbyStatus(enum.StrEnum):
    """Where a person waiting at the door stands."""

    WAITING = "waiting"
    ADMITTED = "admitted"
    GONE = "gone"


class StandbyEntry(Model):
    """A party without a seat waiting at the door (one queue, shared by all tablets).

    ``booking_id`` is the booking it came from: a party of the session's waiting list that
    came to the door (set when it joins; the booking stays WAITING until it is let in), or,
    for people who came without one, the booking made when they are let in. The queue's
    order and its rule are in services/checkin/standby.py.
    """

    __table_args__ = (Index("ix_standby_entry_session_status", "session_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("event_session.id"))
    name: Mapped[str] = mapped_column(String(120), default="")
    seats: Mapped[int]
    status: Mapped[StandbyStatus] = mapped_column(
        enum_column(StandbyStatus), default=StandbyStatus.WAITING
    )
    arrived_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    added_by: Mapped[str] = mapped_column(String(254))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("booking.id"), default=None)
    nonce: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    # Times a party behind it was let in while it did not fit; see ``admit_standby``.
    passed_over: Mapped[int] = mapped_column(default=0)

    booking: Mapped[Booking | None] = relationship()

    @property
    def party_seats(self) -> int:
        """The seats the party asks for: a waiting-list party's booking may have shrunk."""
        return self.booking.seats if self.booking is not None else self.seats


class DoorAction(Model):
    """What a tablet's nonce was used for, and what it gave.

    The tablet makes a nonce for every action it takes and sends it again with every
    retry. A retry of the same action (same session, kind, party and seats) returns the
    first result; the same nonce sent for anything else is refused, so a second party is
    never recorded as the first.
    """

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("event_session.id"))
    # check_in (a scan or a tap), walk_in, standby
    kind: Mapped[str] = mapped_column(String(16))
    # The party let in (for a walk-in, the booking made for it).
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("booking.id"), default=None)
    # The seats asked for; None for "the whole party".
    seats: Mapped[int | None] = mapped_column(default=None)
    check_in_id: Mapped[int | None] = mapped_column(ForeignKey("check_in.id"), default=None)
    standby_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("standby_entry.id"), default=None
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    check_in: Mapped[CheckIn | None] = relationship()
    standby_entry: Mapped[StandbyEntry | None] = relationship()
