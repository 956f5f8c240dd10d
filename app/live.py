"""The version of what public pages show: one value for the live poll and the page parts.

The live poll's ETag (``/live/seats``) and the keys of the shared page parts
(app/fragments.py) both say "these counts, for this scope, in this language, at this
minute". The change counter (``ledger.change_counter``) moves in the same transaction as
anything public pages show (seats, sessions, events, specimens); the minute is there
because a session's state also changes with the clock (booking opens or closes, the
session starts) without any seat moving. Opening times are whole minutes (the services
that set them drop the seconds), so the minute changes exactly when booking opens: the
first poll after it gets the open session, the moment of the rush.
"""

from __future__ import annotations

from typing import NamedTuple

from .i18n import current_language
from .models import EventKind
from .services import ledger
from .timeutil import utcnow


class LiveVersion(NamedTuple):
    """Change counter, scope, language and minute: equal versions show the same thing."""

    counter: int
    scope: str
    language: str
    minute: int


def live_version(scope: str) -> LiveVersion:
    """The version of what public pages show about ``scope`` right now.

    Read it before loading the rows it stands for: the rows are then at least as new as
    the version, never older.
    """
    return LiveVersion(
        ledger.change_counter(), scope, current_language(), int(utcnow().timestamp() // 60)
    )


def poll_scope(kind: EventKind | None, event_id: int | None, *, upcoming: bool = False) -> str:
    """The scope of one live poll: one event's sessions, one kind's, or all; maybe upcoming only."""
    scope = f"e{event_id}" if event_id else (kind.value if kind else "all")
    return f"{scope}-upcoming" if upcoming else scope


def live_etag(kind: EventKind | None, event_id: int | None, *, upcoming: bool = False) -> str:
    """The live poll's ETag for the badges of this scope."""
    version = live_version(poll_scope(kind, event_id, upcoming=upcoming))
    return f"seats-{version.counter}-{version.scope}-{version.language}-{version.minute}"
