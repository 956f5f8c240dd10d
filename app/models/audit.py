"""The audit log: who changed what, and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from ..timeutil import utcnow
from .types import UTCDateTime


class AuditEntry(Model):
    """One change made to seats or people, written in the transaction that made it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(60))
    session_id: Mapped[int | None] = mapped_column(index=True, default=None)
    booking_id: Mapped[int | None] = mapped_column(default=None)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
