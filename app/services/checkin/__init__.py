"""Check-in at the door: tickets, partial parties, undo, walk-ins, no-shows and standby.

* ``door``: letting people in (a scan, a tap, part of a party), undo, walk-ins;
* ``standby``: the door's standby queue, no-shows released, and where freed seats go;
* ``actions``: the session's lock and the nonce that makes a tablet's retry harmless;
* ``lists``: the tablet's counters, the door list, the last check-ins;
* ``errors``: what the door says when it says no.
"""

from __future__ import annotations

from .door import check_in, normalise_code, undo, walk_in
from .errors import (
    AlreadyCheckedIn,
    BadSeatCount,
    NonceReused,
    NoSeatsAtDoor,
    NotAdmissible,
    NothingToUndo,
    ReleaseTooEarly,
    SessionCancelledAtDoor,
    StandbyFirst,
    UnknownTicket,
    WaitingListFirst,
    WrongSession,
)
from .lists import DoorCounters, counters, door_list, last_check_ins
from .standby import (
    add_standby,
    admit_standby,
    booking_has_closed,
    door_may_take_seats,
    give_freed_seats,
    leave_standby,
    release_no_shows,
    release_opens_at,
    standby_queue,
)

__all__ = [
    "AlreadyCheckedIn",
    "BadSeatCount",
    "DoorCounters",
    "NoSeatsAtDoor",
    "NonceReused",
    "NotAdmissible",
    "NothingToUndo",
    "ReleaseTooEarly",
    "SessionCancelledAtDoor",
    "StandbyFirst",
    "UnknownTicket",
    "WaitingListFirst",
    "WrongSession",
    "add_standby",
    "admit_standby",
    "booking_has_closed",
    "check_in",
    "counters",
    "door_list",
    "door_may_take_seats",
    "give_freed_seats",
    "last_check_ins",
    "leave_standby",
    "normalise_code",
    "release_no_shows",
    "release_opens_at",
    "standby_queue",
    "undo",
    "walk_in",
]
