"""How many bookings moved into and out of each session, from the audit log.

A move leaves no trace on the booking row but its new session; the audit entry of each
move (``booking.moved`` from services/plan_changes.py, ``waitlist.merged`` from
services/party_accept.py) names both sessions. Counts only: nothing here reads who moved.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select

from ..extensions import db
from ..models import AuditEntry

# A move made at once, and one made by accepting an offer on the session waited for
# (services/party_accept.py; its source and target are the same for extra seats).
MOVES = ("booking.moved", "waitlist.merged")


@dataclass(frozen=True)
class Moves:
    """Bookings moved in and out, per session id."""

    moved_in: Counter[int] = field(default_factory=Counter)
    moved_out: Counter[int] = field(default_factory=Counter)


def moves_per_session() -> Moves:
    """Count every move recorded, by target (in) and by source (out)."""
    moves = Moves()
    for data in db.session.scalars(select(AuditEntry.data).where(AuditEntry.action.in_(MOVES))):
        source, target = (data or {}).get("source"), (data or {}).get("target")
        if source == target:
            continue
        if isinstance(source, int):
            moves.moved_out[source] += 1
        if isinstance(target, int):
            moves.moved_in[target] += 1
    return moves
