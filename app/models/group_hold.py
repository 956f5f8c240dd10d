"""Seats held for a group (a class, an association) behind a code, until a release time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from ..timeutil import utcnow
from .programme import EventSession
from .types import UTCDateTime


class GroupHold(Model):
    """``seats`` of a session kept out of public sale for one group until ``release_at``.

    The seats still held (``seats - seats_used``, while ``released_at`` is empty) count in
    the session's ``seats_taken`` like confirmed seats: the ledger took them when the hold
    was made. A booking made with the code moves seats from the hold to itself
    (``seats_used`` grows, ``seats_taken`` does not move); the release gives back the rest.
    """

    __tablename__ = "group_hold"
    __table_args__ = (
        CheckConstraint("seats >= 1", name="holds_a_seat"),
        CheckConstraint("seats_used >= 0 AND seats_used <= seats", name="used_within_held"),
        Index("ix_group_hold_release", "released_at", "release_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("event_session.id"), index=True)
    seats: Mapped[int]
    seats_used: Mapped[int] = mapped_column(default=0)
    label: Mapped[str] = mapped_column(String(120))
    # 128 random bits (services/group_holds.py): the group's only key; compared in constant
    # time, and only against the holds of the session asked for.
    code: Mapped[str] = mapped_column(String(40), unique=True)
    release_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    session: Mapped[EventSession] = relationship(lazy="joined", innerjoin=True)

    @property
    def seats_unused(self) -> int:
        """Seats still held for the group (none once released)."""
        return 0 if self.released_at is not None else self.seats - self.seats_used
