"""The organisers' own words: mail texts per kind, reminder rules and the reminders sent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from ..timeutil import utcnow
from .types import UTCDateTime


class MailText(Model):
    """The subject and body of one mail kind, in French and English.

    ``event_id`` empty: the default for the whole week; set: that event's override. The
    text holds named placeholders (``{name}``), never template code.
    """

    __tablename__ = "mail_text"
    __table_args__ = (
        # One row per kind and event; the week's default (no event) is kept single by the
        # service, which updates it in place (NULLs never collide in a unique index).
        UniqueConstraint("kind", "event_id", name="uq_mail_text_kind_event"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id"), index=True, default=None)
    subject_fr: Mapped[str] = mapped_column(String(300), default="")
    body_fr: Mapped[str] = mapped_column(Text, default="")
    subject_en: Mapped[str] = mapped_column(String(300), default="")
    body_en: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(254), default="")


class ReminderRule(Model):
    """A reminder an event's organisers want: sent ``minutes_before`` the session starts."""

    __tablename__ = "reminder_rule"
    __table_args__ = (
        CheckConstraint("minutes_before > 0", name="reminder_before_start"),
        UniqueConstraint("event_id", "minutes_before", name="uq_reminder_rule_event_delay"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    minutes_before: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(254), default="")


class SentReminder(Model):
    """A reminder queued for a booking: the unique pair makes "once" a database guarantee.

    Keyed by booking and rule, not by session: a booking moved to another session of the
    same event does not get a reminder it already had.
    """

    __tablename__ = "sent_reminder"
    __table_args__ = (
        UniqueConstraint("booking_id", "rule_id", name="uq_sent_reminder_booking_rule"),
        Index("ix_sent_reminder_rule_id", "rule_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id"), index=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("reminder_rule.id", ondelete="CASCADE"))
    session_id: Mapped[int] = mapped_column(ForeignKey("event_session.id"))
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
