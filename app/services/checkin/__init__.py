"""Check-in at the door: tickets, partial parties, undo, walk-ins, no-shows and standby.

* ``door``: letting people in (a scan, a tap, part of a party), undo, walk-ins;
* ``standby``: the door's standby queue, its order and rule, no-shows released, and where
  freed seats go;
* ``waiting``: a party of the waiting list at the door, which joins the standby queue;
* ``actions``: the session's lock and the nonce that makes a tablet's retry harmless;
* ``lists``: the tablet's counters, the door list, the last check-ins;
* ``errors``: what the door says when it says no.
"""

from __future__ import annotations

from .door import check_in, normalise_code, undo, walk_in
from .errors import (
    AlreadyCheckedIn,
    AlreadyOnStandby,
    BadSeatCount,
    NonceReused,
    NoSeatsAtDoor,
    NotAdmissible,
    NothingToUndo,
    NotOnWaitingList,
    OnWaitingList,
    ReleaseTooEarly,
    SessionCancelledAtDoor,
    StandbyFirst,
    UnknownTicket,
    WaitingListFirst,
    WrongSession,
)
from .lists import (
    DoorCounters,
    StandbyPlace,
    counters,
    door_list,
    last_check_ins,
    standby_board,
    waiting_ranks,
)
from .standby import (
    add_standby,
    admit_standby,
    booking_has_closed,
    door_may_take_seats,
    give_freed_seats,
    leave_standby,
    max_passes,
    release_no_shows,
    release_opens_at,
    standby_queue,
)
from .waiting import join_standby, standby_place, waiting_refusal

__all__ = [
    "AlreadyCheckedIn",
    "AlreadyOnStandby",
    "BadSeatCount",
    "DoorCounters",
    "NoSeatsAtDoor",
    "NonceReused",
    "NotAdmissible",
    "NotOnWaitingList",
    "NothingToUndo",
    "OnWaitingList",
    "ReleaseTooEarly",
    "SessionCancelledAtDoor",
    "StandbyFirst",
    "StandbyPlace",
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
    "join_standby",
    "last_check_ins",
    "leave_standby",
    "max_passes",
    "normalise_code",
    "release_no_shows",
    "release_opens_at",
    "standby_board",
    "standby_place",
    "standby_queue",
    "undo",
    "waiting_ranks",
    "waiting_refusal",
    "walk_in",
]
