"""The door's list of a day's sessions: which day, and in what order.

Door staff open the list to find the session they are letting people into, so the one on
now (or the next one) comes first, then the later ones, and the sessions already over
last, where they can still be reached to correct a check-in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from ..timeutil import paris, utcnow
from .dashboard import SessionFigures, week_figures


@dataclass(frozen=True)
class DoorDay:
    """A day's sessions for the door, with the moment they were sorted against."""

    day: date
    sessions: list[SessionFigures]
    now: datetime


def sessions_of(day: date | None = None, now: datetime | None = None) -> DoorDay:
    """The sessions of ``day`` (today in Paris by default), the current or next one first."""
    now = now or utcnow()
    day = day or paris(now).date()
    of_the_day = sorted(
        (f for f in week_figures().by_session.values() if paris(f.session.starts_at).date() == day),
        key=lambda figures: figures.session.starts_at,
    )
    not_over = [f for f in of_the_day if f.session.ends_at > now]
    over = [f for f in of_the_day if f.session.ends_at <= now]
    return DoorDay(day=day, sessions=not_over + over, now=now)
