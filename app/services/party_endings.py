"""How a party's rows end: withdrawn, handed over to the lead, or ended with their lead.

The rules are those of ``waiting_party`` (its docstring). Every function runs in the
caller's unit of work, with the party's sessions locked (``lock_party_sessions``), but
``after_admission``, which locks them itself (without waiting: the door's path).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from ..extensions import db
from ..models import Booking, BookingStatus, EventSession
from . import ledger
from .audit import audit
from .waiting_party import lock_lead, lock_sessions_present, party_rows, party_session_ids


def _end(row: Booking, why: str, now: datetime) -> None:
    """A live row ends: its seats leave its session's counters (the caller locked it)."""
    session = row.session
    if row.status is BookingStatus.WAITING:
        ledger.add_waiting(session, -row.seats)
    elif row.status is BookingStatus.OFFERED:
        ledger.release_seats(session, row.seats)
    row.status = BookingStatus.CANCELLED
    row.ended_reason = why
    row.cancelled_at = now


def withdraw(
    lead: Booking, why: str, *, actor: str, now: datetime, keep: int | None = None
) -> set[int]:
    """End the lead's live change rows (but ``keep``); return the sessions they were on.

    The caller holds those sessions' locks, and runs their lists afterwards (``run_lists``).
    """
    rows = [row for row in party_rows(lead) if row.id != keep]
    return end_rows(lead, rows, why, actor=actor, now=now)


def end_rows(
    lead: Booking, rows: Iterable[Booking], why: str, *, actor: str, now: datetime
) -> set[int]:
    """End these live change rows of ``lead`` (audited); return the sessions they were on."""
    touched: set[int] = set()
    for row in rows:
        _end(row, why, now)
        touched.add(row.session_id)
        audit("waitlist.withdrawn", actor, row, seats=row.seats, lead=lead.id, why=why)
    if touched:
        db.session.flush()
    return touched


def run_lists(session_ids: Iterable[int], *, actor: str, now: datetime) -> None:
    """Run the waiting list (then the door) of each session, in id order (all locked)."""
    from .checkin import give_freed_seats

    for session_id in sorted(set(session_ids)):
        session = db.session.get(EventSession, session_id)
        if session is not None:
            give_freed_seats(session, actor=actor, now=now)


def end_change_rows(lead: Booking, *, actor: str, now: datetime) -> set[int]:
    """The lead ended (or changed so its wishes no longer match): its change rows end too.

    The caller holds the locks of the party's sessions (``lock_party_sessions``); the lists
    of the sessions they were on run at once. Returns those sessions.
    """
    touched = withdraw(lead, "lead_ended", actor=actor, now=now)
    run_lists(touched, actor=actor, now=now)
    return touched


def after_reduction(lead: Booking, *, actor: str, now: datetime) -> set[int]:
    """The lead's party was made smaller (``booking.reduce``): its wishes follow it.

    The party is the same people, fewer of them, so what it waits for stays where it is,
    at its size:

    * a waiting lead's other lists (``also``) are that party waiting elsewhere: each row
      keeps its place (arrival, priority, passes) and takes the lead's seats, and an offer
      one of them holds keeps the seats the party now needs;
    * a confirmed lead's move to another session is still wanted by the party as it is
      now: the row waits (or holds its offer) for the lead's new seats, as a move made
      now would take (accepting it gives the lead the row's seats);
    * a confirmed lead's extra seats end (``lead_reduced``): the size field says how many
      the party now is, and seats wished for when it counted more can no longer be told
      apart from seats it no longer needs. The page lets the visitor ask again.

    Each row changed is audited; its freed seats leave its session's counters. The caller
    holds the party's sessions' locks and runs the lists of the sessions returned
    (``run_lists``), where freed places may now go to the next parties.
    """
    touched: set[int] = set()
    confirmed = lead.status is BookingStatus.CONFIRMED
    for row in party_rows(lead):
        if confirmed and row.session_id == lead.session_id:
            touched |= end_rows(lead, [row], "lead_reduced", actor=actor, now=now)
            continue
        if row.seats <= lead.seats:
            continue
        freed = row.seats - lead.seats
        if row.status is BookingStatus.WAITING:
            ledger.add_waiting(row.session, -freed)
        else:
            ledger.release_seats(row.session, freed)
        row.seats = lead.seats
        audit("waitlist.reduced", actor, row, seats=row.seats, freed=freed, lead=lead.id)
        touched.add(row.session_id)
    if touched:
        db.session.flush()
    return touched


def after_release(lead: Booking, *, actor: str, now: datetime) -> set[int]:
    """A confirmed lead nobody of which came was released at its door: its wishes end.

    Its extra seats were for people who are not there, and a move out of a session that
    starts is refused at the offer's acceptance anyway (``party_accept``): the rows could
    never be applied, yet they would count in their lists' waiting seats (holding the
    public behind them) until their sessions passed. Nor are they handed over: the
    released booking stays this session's ticket, let in later if seats remain. Returns
    the sessions whose lists the caller (holding their locks) runs.
    """
    return withdraw(lead, "lead_released", actor=actor, now=now)


def after_admission(
    lead: Booking, *, actor: str, now: datetime, why: str = "lead_admitted"
) -> set[int]:
    """The party is in at its session's door: it waits for nothing more.

    Its people are in this room: a move is refused from now on (``party_accept``), a
    waiting lead let in from the door's queue is confirmed here, and more seats are the
    door's to give. Kept, its rows would count in their lists' waiting seats (the public
    behind them) and could take offers nobody can accept, holding those seats until they
    lapse. ``why``: ``lead_admitted``, or ``placed_elsewhere`` for an offer taken up at the
    door (the party accepted it by coming).

    The door's path (``checkin._let_in``, ``checkin._admit``) holds the lock of the session
    at the door, and runs inside any writer that frees seats there (a cancellation, an
    expiry, a reduction…), which holds its own locks in id order. Locking the party's other
    sessions in order would mean finding them before the door's session is locked, in
    every such writer, for every party on the door's queue. So each is locked here without
    waiting (``lock_sessions_present``, ``skip_locked``): a lock that never waits closes no deadlock, whatever
    the order. A session another transaction holds at this instant keeps the party's row
    for now: ``promote`` offers it nothing (``waiting_party.is_spent``) and the next
    ``flask process-waitlist`` ends it (``waitlist.end_spent_wishes``). Returns the
    sessions of the rows ended, whose lists the caller runs (``run_lists``).
    """
    rows = party_rows(lead)
    if not rows:
        return set()
    free = lock_sessions_present({row.session_id for row in rows}, skip_locked=True)
    mine = [row for row in rows if row.session_id in free]
    return end_rows(lead, mine, why, actor=actor, now=now)


def after_ending(
    booking: Booking,
    previous: BookingStatus,
    *,
    actor: str,
    now: datetime,
    session_gone: bool = False,
) -> bool:
    """What a row's end means for its party; True if the booker is told "cancelled".

    The caller (``booking.cancel``; ``organiser.cancel_session`` with ``session_gone``)
    locked the party's sessions (``party_session_ids_on`` for a whole session), ended the
    row and took its seats off its session's counters. A change row that ends (declined,
    left) leaves the lead as it is; the party's other lists, which skipped it while it
    held an offer, run again. A lead that declined its own offer, or whose session is
    cancelled, while waiting elsewhere goes on waiting there (``hand_over``). Any other
    lead ends its change rows.
    """
    if booking.changes_booking_id is not None:
        run_lists(
            party_session_ids([booking.changes_booking_id]) - {booking.session_id},
            actor=actor,
            now=now,
        )
        return False
    left_from = booking.session_id
    keeps_waiting = previous is BookingStatus.OFFERED or (
        session_gone and previous is BookingStatus.WAITING
    )
    if keeps_waiting and hand_over(booking, actor=actor, now=now):
        run_lists(party_session_ids([booking.id]) - {left_from}, actor=actor, now=now)
        return False
    end_change_rows(booking, actor=actor, now=now)
    return True


def hand_over(lead: Booking, *, actor: str, now: datetime) -> Booking | None:
    """A waiting lead leaves its session's list but still waits elsewhere: it moves there.

    Called when the lead's own place ends for a reason that concerns that session only
    (its offer declined or lapsed, the party too large for it). The lead takes its first
    change row's session, seats, place and status, and that row ends
    (``merged``): the party keeps one link and one ticket code. The caller has already
    taken the lead's seats off its old session's counters. Returns the row taken over, or
    None when the lead waits nowhere else (then it simply ends, as the caller says).
    """
    lock_lead(lead.id)
    rows = party_rows(lead)
    if not rows:
        return None
    # A waiting row first: an offer a change row holds stays where its mail points.
    waiting = [row for row in rows if row.status is BookingStatus.WAITING]
    heir = (waiting or rows)[0]
    source = lead.session_id
    lead.session_id = heir.session_id
    lead.seats = heir.seats
    lead.status = heir.status
    lead.priority, lead.priority_reason = heir.priority, heir.priority_reason
    lead.passed_over = heir.passed_over
    lead.offered_at, lead.offer_expires_at = heir.offered_at, heir.offer_expires_at
    lead.ended_reason, lead.cancelled_at = "", None
    heir.status = BookingStatus.CANCELLED
    heir.ended_reason = "merged"
    heir.cancelled_at = now
    db.session.flush()
    db.session.expire(lead, ["session"])
    audit("waitlist.handed_over", actor, lead, seats=lead.seats, source=source, change=heir.id)
    audit("waitlist.merged", actor, heir, seats=heir.seats, lead=lead.id)
    return heir
