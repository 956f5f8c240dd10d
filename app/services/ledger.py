"""The seat ledger: the only code that changes ``EventSession.seats_taken``.

Every change is one conditional UPDATE in the caller's transaction, so the database
itself refuses an oversell whatever the interleaving of requests, and the live-count
change counter moves in the same transaction.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import Row, ScalarSelect, bindparam, event, func, select, update
from sqlalchemy.orm import Session as SASession
from sqlalchemy.orm import lazyload
from sqlalchemy.orm.attributes import set_committed_value

from ..database import in_unit_of_work, writes
from ..extensions import db
from ..models import (
    SEAT_HOLDING_STATUSES,
    SEATS_COUNTER,
    Booking,
    BookingStatus,
    ChangeCounter,
    CheckIn,
    Event,
    EventSession,
    GroupHold,
    Specimen,
    SpecimenImage,
    StandbyEntry,
    Venue,
)
from .booking_errors import SessionFull


def lock_session(session_id: int, *, skip_locked: bool = False) -> EventSession | None:
    """Load a session and lock its row until the transaction ends.

    PostgreSQL takes a row lock; SQLite ignores FOR UPDATE, but a writer's transaction
    there already holds the database's write lock from BEGIN IMMEDIATE. Locking is for
    writing: the caller's service has entered the unit of work (``writing()``).

    ``skip_locked``: None instead of waiting when another transaction holds the row (a
    row this transaction locked already is returned), for a lock taken out of id order.
    """
    if not in_unit_of_work():
        raise RuntimeError("lock_session() outside writing(): enter the unit of work first")
    stmt = (
        select(EventSession)
        .where(EventSession.id == session_id)
        # Only the session's own row: its event and venue, which no seat change touches,
        # load on first use (usually from the request's identity map, without a query).
        .options(lazyload(EventSession.event))
        .with_for_update(of=EventSession, skip_locked=skip_locked)
        .execution_options(populate_existing=True)
    )
    return db.session.execute(stmt).scalar_one_or_none()


# Statements built once, as plain table statements: every booking runs them while the
# session's row is locked, and an ORM-enabled UPDATE also scans the identity map.
_COUNTER = ChangeCounter.__table__
_BUMP = update(_COUNTER).where(_COUNTER.c.name == SEATS_COUNTER).values(value=_COUNTER.c.value + 1)
_SESSIONS = EventSession.__table__
_CLAIM = (
    update(_SESSIONS)
    .where(
        _SESSIONS.c.id == bindparam("session_id"),
        _SESSIONS.c.cancelled_at.is_(None),
        _SESSIONS.c.seats_taken + bindparam("seats") <= _SESSIONS.c.capacity,
    )
    .values(
        seats_taken=_SESSIONS.c.seats_taken + bindparam("seats"),
        version=_SESSIONS.c.version + 1,
    )
    .returning(_SESSIONS.c.seats_taken, _SESSIONS.c.version)
)
_CLAIM_BEHIND_WAITING_LIST = _CLAIM.where(_SESSIONS.c.seats_waiting == 0)


def bump_change_counter() -> None:
    """Note that what the public sees changed; the counter moves once, at the commit.

    The ledger's own statements (Core UPDATEs, which no flush sees) call this; every change
    made through the ORM to something pages show is noted by ``_note_shown_changes``. The
    counter's row is updated last, just before the commit, so the lock order stays "session
    rows, then the counter" however many sessions one transaction touches.
    """
    db.session.info[_CHANGED] = True


# The live poll reads the change counter on every request of every open page. Each
# worker process keeps the value it read for LIVE_COUNTER_CACHE_SECONDS, which spares
# the database (and on PostgreSQL a network round trip) most of those reads. A process
# forgets its copy as soon as it commits a change itself, so a visitor who books sees
# the new counts at once; changes made by other workers show up within the cache time,
# which LIVE_POLL_SECONDS leaves room for in the "at most 5 s stale" promise.
_CHANGED = "minerales_shown_changed"
_BUMPED = "minerales_counter_bumped"
_CACHE_KEY = "minerales_live_counter"
# What the public pages, the live poll, the fragment cache and the door's counters show.
_SHOWN = (Booking, CheckIn, Event, EventSession, Specimen, SpecimenImage, StandbyEntry, Venue)


def _counter_cache() -> dict[str, float]:
    """This app's cached ``value`` and ``expires`` (monotonic seconds)."""
    return current_app.extensions.setdefault(_CACHE_KEY, {"value": 0, "expires": 0.0})


def _shows_changes(session: SASession) -> bool:
    """Whether the session holds added, changed or removed rows of something pages show."""
    changed = (*session.new, *session.dirty, *session.deleted)
    return any(isinstance(instance, _SHOWN) for instance in changed)


@event.listens_for(SASession, "after_flush")
def _note_shown_changes(session: SASession, _context: Any) -> None:
    """A flush that wrote something pages show moves the counter at the commit."""
    if not session.info.get(_CHANGED) and _shows_changes(session):
        session.info[_CHANGED] = True


@event.listens_for(SASession, "before_commit")
def _move_the_counter(session: SASession) -> None:
    """Move the counter once per transaction that changed what pages show, last.

    The commit's own flush comes after this hook: what it will write counts too.
    """
    if session.info.pop(_CHANGED, False) or _shows_changes(session):
        session.execute(_BUMP)
        session.info[_BUMPED] = True


@event.listens_for(SASession, "after_commit")
def _forget_cached_counter(session: SASession) -> None:
    """After a commit that moved the counter, read it afresh next time."""
    if session.info.pop(_BUMPED, False) and has_app_context():
        _counter_cache()["expires"] = 0.0


@event.listens_for(SASession, "after_rollback")
def _drop_bump_mark(session: SASession) -> None:
    """A rolled-back change changed nothing."""
    session.info.pop(_CHANGED, None)
    session.info.pop(_BUMPED, None)


def change_counter() -> int:
    """The live-count change counter, as this process last read it (see above)."""
    cache = _counter_cache()
    now = time.monotonic()
    if now < cache["expires"]:
        return int(cache["value"])
    value = db.session.execute(
        select(ChangeCounter.value).where(ChangeCounter.name == SEATS_COUNTER)
    ).scalar_one_or_none()
    cache["value"] = value or 0
    cache["expires"] = now + float(current_app.config["LIVE_COUNTER_CACHE_SECONDS"])
    return value or 0


def _settle(session: EventSession, **totals: int) -> None:
    """Keep what an UPDATE … RETURNING gave back on the loaded session; tell the live counts."""
    for name, value in totals.items():
        set_committed_value(session, name, value)
    bump_change_counter()


def _apply(session: EventSession, delta: int, *, guard_capacity: bool) -> int:
    """Add ``delta`` to the ledger with one conditional UPDATE; return the new total."""
    table = EventSession.__table__
    stmt = (
        update(table)
        .where(table.c.id == session.id)
        .values(seats_taken=table.c.seats_taken + delta, version=table.c.version + 1)
        .returning(table.c.seats_taken, table.c.version)
    )
    if guard_capacity:
        stmt = stmt.where(table.c.seats_taken + delta <= table.c.capacity)
    else:
        stmt = stmt.where(table.c.seats_taken + delta >= 0)
    row = db.session.execute(stmt).first()
    if row is None:
        return -1
    _settle(session, seats_taken=row.seats_taken, version=row.version)
    return row.seats_taken


def take_seats(session: EventSession, seats: int) -> int:
    """Take ``seats`` seats or raise ``SessionFull`` with how many are left."""
    taken = _apply(session, seats, guard_capacity=True)
    if taken < 0:
        db.session.refresh(session, ["seats_taken", "capacity"])
        raise SessionFull(seats_left=session.seats_left, seats_wanted=seats)
    return taken


def claim_seats(session: EventSession, seats: int, *, behind_waiting_list: bool) -> bool:
    """Take ``seats`` seats if the session, as it is now, still has them; False if not.

    For a writer that has not locked the session: the one conditional UPDATE re-checks
    everything that could have changed since its unlocked read (a cancellation, the
    waiting list, the seats), and locks the row from there to the commit. A booking does
    its other writes first, so that the row everybody is queuing for stays locked only
    for the last few statements. ``behind_waiting_list``: the public cannot take seats
    while anybody waits (organisers can).
    """
    stmt = _CLAIM_BEHIND_WAITING_LIST if behind_waiting_list else _CLAIM
    row = db.session.execute(stmt, {"session_id": session.id, "seats": seats}).first()
    if row is None:
        return False
    _settle(session, seats_taken=row.seats_taken, version=row.version)
    return True


def release_seats(session: EventSession, seats: int) -> int:
    """Give ``seats`` seats back to the session."""
    taken = _apply(session, -seats, guard_capacity=False)
    if taken < 0:
        raise RuntimeError(f"ledger of session {session.id} would go negative")
    return taken


def add_waiting(session: EventSession, delta: int) -> int:
    """Add ``delta`` seats to the session's waiting-list counter; return the new total."""
    table = EventSession.__table__
    row = db.session.execute(
        update(table)
        .where(table.c.id == session.id, table.c.seats_waiting + delta >= 0)
        .values(seats_waiting=table.c.seats_waiting + delta, version=table.c.version + 1)
        .returning(table.c.seats_waiting, table.c.version)
    ).first()
    if row is None:
        raise RuntimeError(f"waiting counter of session {session.id} would go negative")
    _settle(session, seats_waiting=row.seats_waiting, version=row.version)
    return row.seats_waiting


@dataclass(frozen=True)
class LedgerDifference:
    """A session whose stored counter disagrees with its bookings."""

    session_id: int
    stored: int
    expected: int
    counter: str = "seats_taken"


def seats_by_session(statuses: tuple[BookingStatus, ...]) -> dict[int, int]:
    """Sum the seats of bookings in ``statuses``, per session."""
    rows = db.session.execute(
        select(Booking.session_id, func.coalesce(func.sum(Booking.seats), 0))
        .where(Booking.status.in_(statuses))
        .group_by(Booking.session_id)
    )
    return {session_id: int(total) for session_id, total in rows}


def _seats_of(statuses: tuple[BookingStatus, ...]) -> ScalarSelect[int]:
    """The seats of the session's bookings in ``statuses``, as a correlated subquery."""
    return (
        select(func.coalesce(func.sum(Booking.seats), 0))
        .where(Booking.session_id == EventSession.id, Booking.status.in_(statuses))
        .correlate(EventSession)
        .scalar_subquery()
    )


def _seats_held_for_groups() -> ScalarSelect[int]:
    """The seats the session's unreleased group holds still keep, as a correlated subquery."""
    return (
        select(func.coalesce(func.sum(GroupHold.seats - GroupHold.seats_used), 0))
        .where(GroupHold.session_id == EventSession.id, GroupHold.released_at.is_(None))
        .correlate(EventSession)
        .scalar_subquery()
    )


# Counters and what the bookings add up to, in ONE statement: one snapshot of the database.
# Read in separate statements, a booking committing in between (its row and its seats)
# shows up in one read and not in the other, and looks like a damaged counter.
_COUNTERS_AND_TOTALS = select(
    EventSession.id,
    EventSession.seats_taken,
    EventSession.seats_waiting,
    (_seats_of(SEAT_HOLDING_STATUSES) + _seats_held_for_groups()).label("held"),
    _seats_of((BookingStatus.WAITING,)).label("waiting"),
)


def _differences(rows: Iterable[Row[Any]]) -> list[LedgerDifference]:
    """The counters of ``rows`` (id, seats_taken, seats_waiting, held, waiting) that differ."""
    differences = []
    for session_id, taken, queued, held, waiting in rows:
        if taken != held:
            differences.append(LedgerDifference(session_id, taken, int(held)))
        if queued != waiting:
            differences.append(LedgerDifference(session_id, queued, int(waiting), "seats_waiting"))
    return differences


def check_ledger() -> list[LedgerDifference]:
    """Recompute both counters of every session from its bookings and group holds; list the differences.

    Only reads, in one statement, so it never reports a booking that was committing.
    """
    return _differences(db.session.execute(_COUNTERS_AND_TOTALS.order_by(EventSession.id)))


@writes
def repair_ledger(differences: list[LedgerDifference]) -> list[LedgerDifference]:
    """Set the counters of the sessions in ``differences`` to what their bookings add up to.

    What ``check_ledger`` found may be stale by now: a booking may have committed since.
    So each session is locked (the lock every seat change takes, in id order), counted
    again under the lock, and only then written; until the commit no seat of it can change.
    Returns the repairs actually made (none for a session that is right by now).
    """
    table = EventSession.__table__
    repaired: list[LedgerDifference] = []
    for session_id in sorted({difference.session_id for difference in differences}):
        session = lock_session(session_id)
        if session is None:
            continue
        found = _differences(
            db.session.execute(_COUNTERS_AND_TOTALS.where(EventSession.id == session_id))
        )
        if not found:
            continue
        counters = {difference.counter: difference.expected for difference in found}
        version = db.session.execute(
            update(table)
            .where(table.c.id == session_id)
            .values({**counters, "version": table.c.version + 1})
            .returning(table.c.version)
        ).scalar_one()
        for name, value in {**counters, "version": version}.items():
            set_committed_value(session, name, value)
        repaired.extend(found)
    if repaired:
        bump_change_counter()
    return repaired
