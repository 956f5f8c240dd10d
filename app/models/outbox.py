"""The mail outbox: messages written in the transaction that causes them, sent after commit."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from ..timeutil import utcnow
from .types import UTCDateTime, enum_column


class OutboxStatus(enum.StrEnum):
    """Where a message stands. Only one sender at a time can move it out of PENDING."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"  # gave up after the last retry; shown to organisers


class OutboxMessage(Model):
    """One e-mail: what to send to whom, then (once rendered) its content and its history.

    The booking's transaction writes only the kind, the recipient, the language and a small
    context; the sender renders the message the first time it takes the row, after the
    commit and without holding any lock, and stores the result so that retries send the
    very same message.
    """

    __table_args__ = (
        Index("ix_outbox_message_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    # Makes "send each reminder once" a database guarantee, not a hope (reminders are keyed
    # by booking and session: ``reminder:<booking>:<session>``).
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True, default=None)
    booking_id: Mapped[int | None] = mapped_column(
        ForeignKey("booking.id"), index=True, default=None
    )
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300), default="")
    body_text: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    # [{"filename", "content_type", "data" (base64), "inline_id" (optional Content-ID)}]
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    locale: Mapped[str] = mapped_column(String(8), default="fr")
    # What rendering needs beyond the booking: the public address for links, a position…
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    rendered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    status: Mapped[OutboxStatus] = mapped_column(
        enum_column(OutboxStatus),
        default=OutboxStatus.PENDING,
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Each claim's own time and random token: only the sender holding the token may record
    # the outcome, and a claim is stale only when its own time is old.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    claim_token: Mapped[str | None] = mapped_column(String(32), default=None)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
