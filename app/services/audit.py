"""The audit trail, written in the transaction of the change it records."""

from __future__ import annotations

from sqlalchemy import insert, select

from ..extensions import db
from ..models import AuditEntry, Booking

# One plain INSERT, run at once in the caller's transaction: nothing reads an entry back in
# the request that wrote it, and the ORM's unit of work cost more than the row (a booking
# writes one while the session's row is locked).
_INSERT = insert(AuditEntry.__table__)


def audit(action: str, actor: str, booking: Booking | None = None, **data: object) -> None:
    """Record ``action`` by ``actor``; ``data`` holds ids and numbers, never personal data.

    A booking must have its id already (flushed): the entry points at it.
    """
    session_id = data.pop("session_id", None)
    db.session.execute(
        _INSERT,
        {
            "actor": actor,
            "action": action,
            "session_id": booking.session_id if booking else session_id,
            "booking_id": booking.id if booking else None,
            "data": data,
        },
    )


def recent_entries(limit: int = 300) -> list[AuditEntry]:
    """The latest entries, newest first."""
    return list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)))
