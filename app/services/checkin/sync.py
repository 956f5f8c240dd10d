"""A tablet back online: the actions it took offline, applied in order, each exactly once.

Every action carries the nonce the tablet made when it was taken. Each one goes through
the same service as a tap made online (``check_in``, ``walk_in``, ``add_standby``,
``join_standby``, ``undo``, ``leave_standby``), in a transaction of its own: a refusal (the party was let
in by another tablet first, the room filled up) is that action's outcome and never undoes
the ones before it. A batch sent again, in part, in another order or twice changes
nothing twice: the nonces are known (``DoorAction``), and a nonce sent again for anything
else is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ...database import commit_now, writes
from ...extensions import db
from ...models import CheckIn, DoorAction, EventSession, StandbyEntry
from ...timeutil import utcnow
from ..errors import DomainError
from .actions import record_action
from .door import check_in, undo, walk_in
from .errors import NonceReused, NothingToUndo, UnknownTicket
from .standby import add_standby, leave_standby
from .waiting import join_standby

# ``join``: a waiting-list party at the door joins the door's queue at its rank.
KINDS = ("check_in", "walk_in", "standby", "join", "undo", "leave")
# How far back an action's own time is believed (a tablet's clock may be wrong).
LONGEST_OFFLINE = timedelta(hours=12)


@dataclass(frozen=True)
class DoorStep:
    """One action a tablet took, as it sends it."""

    nonce: str
    kind: str
    session_id: int
    booking_id: int | None = None
    ticket_code: str | None = None
    seats: int | None = None
    name: str = ""
    check_in_id: int | None = None  # undo of a check-in the tablet knew from the server
    entry_id: int | None = None  # leave of a standby entry the tablet knew from the server
    target: str | None = None  # undo / leave of an action taken offline: its nonce
    at: datetime | None = None  # when it was taken, by the tablet's clock


@dataclass(frozen=True)
class StepOutcome:
    """What became of one step: what it made, or the rule that said no."""

    step: DoorStep
    made: CheckIn | StandbyEntry | None = None
    error: DomainError | None = None


def taken_at(step: DoorStep, now: datetime) -> datetime:
    """The step's own time, when believable; else now."""
    if step.at is None or not now - LONGEST_OFFLINE <= step.at <= now:
        return now
    return step.at


def apply_batch(steps: list[DoorStep], *, actor: str) -> list[StepOutcome]:
    """Apply ``steps`` in order, each in its own transaction; say what became of each."""
    outcomes = []
    for step in steps:
        try:
            made = _apply(step, actor, taken_at(step, utcnow()))
        except DomainError as error:  # its transaction is rolled back; the others stand
            outcomes.append(StepOutcome(step, error=error))
            continue
        commit_now()
        outcomes.append(StepOutcome(step, made=made))
    return outcomes


def _apply(step: DoorStep, actor: str, now: datetime) -> CheckIn | StandbyEntry:
    """One step, through the service a tap made online uses."""
    if step.kind == "check_in":
        return check_in(
            step.session_id,
            actor=actor,
            booking_id=step.booking_id,
            ticket_code=step.ticket_code if step.booking_id is None else None,
            seats=step.seats,
            nonce=step.nonce,
            now=now,
        )
    if step.kind == "walk_in":
        return walk_in(
            step.session_id, step.seats or 1, step.name, actor=actor, nonce=step.nonce, now=now
        )
    if step.kind == "standby":
        return add_standby(
            step.session_id, step.seats or 1, step.name, actor=actor, nonce=step.nonce, now=now
        )
    if step.kind == "join":
        return join_standby(
            step.session_id, step.booking_id or 0, actor=actor, nonce=step.nonce, now=now
        )
    if step.kind == "undo":
        return undo_once(step, actor=actor, now=now)
    return leave_once(step, actor=actor)


def _target(nonce: str | None) -> DoorAction | None:
    """The action taken offline that an undo or a leave is about."""
    return db.session.get(DoorAction, nonce, populate_existing=True) if nonce else None


@writes
def undo_once(step: DoorStep, *, actor: str, now: datetime) -> CheckIn:
    """Undo a check-in (known by id, or by the nonce of the offline action that made it).

    Kept with its own nonce: sent again, it answers the check-in it undid.
    """
    check_in_id = step.check_in_id
    if check_in_id is None:
        made = _target(step.target)
        if made is None or made.check_in_id is None:
            raise NothingToUndo()  # the check-in it undoes was itself refused
        check_in_id = made.check_in_id
    earlier = _target(step.nonce)
    if earlier is not None:
        if earlier.kind != "undo" or earlier.check_in_id != check_in_id or not earlier.check_in:
            raise NonceReused()
        return earlier.check_in
    entry = undo(check_in_id, actor=actor, now=now)
    session = db.session.get(EventSession, entry.session_id)
    if session is None or session.id != step.session_id:
        raise NonceReused()  # an undo sent for one session with another session's check-in
    record_action(step.nonce, session, "undo", booking_id=entry.booking_id, check_in=entry)
    return entry


@writes
def leave_once(step: DoorStep, *, actor: str) -> StandbyEntry:
    """Someone on the door's queue left (known by id, or by the nonce that queued them).

    Leaving twice changes nothing the second time, so this needs no nonce of its own.
    """
    entry_id = step.entry_id
    if entry_id is None:
        made = _target(step.target)
        if made is None or made.standby_entry_id is None:
            raise UnknownTicket()
        entry_id = made.standby_entry_id
    return leave_standby(entry_id, actor=actor)
