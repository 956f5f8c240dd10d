"""The audit trail, written in the transaction of the change it records."""

from __future__ import annotations

from ..extensions import db
from ..models import AuditEntry, Booking


def audit(action: str, actor: str, booking: Booking | None = None, **data: object) -> None:
    """Record ``action`` by ``actor``; ``data`` holds ids and numbers, never personal data."""
    session_id = data.pop("session_id", None)
    db.session.add(
        AuditEntry(
            actor=actor,
            action=action,
            session_id=booking.session_id if booking else session_id,
            booking_id=booking.id if booking else None,
            data=data,
        )
    )
