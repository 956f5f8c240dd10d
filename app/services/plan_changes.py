"""A booking's plans change: another session of its event, a bigger or smaller party.

One service for visitors (their booking page) and organisers (the dashboard's move), with
the same steps; only the limits differ. Organisers may move a party up to the end of
either session and take seats that a waiting list waits for; the public moves only
between sessions that still take bookings, behind their waiting lists, within the
per-address cap.

A move locks both sessions (and those where the party waits) in id order, takes the seats
on the new session before it frees the old ones, in one transaction: whatever happens, a party never ends with seats
in both sessions or in neither. The token, the ticket code and the manage link stay; the
day-before reminder is the new session's. The freed seats go to the old session's waiting
list at once (or, once booking has closed, to the door). A move or a growth ends the
wishes the party was waiting for (they were for the party as it was, where it was); a
smaller party keeps its wait to move at its new size (``party_endings.after_reduction``).

When the target has no room (or the extra seats are not free), the visitor may wait for
it without losing what they hold: a change row joins that session's waiting list
(``waiting_party.join_for_change``), and an offer on it swaps the booking only once accepted.

A booking ended by its session's cancellation (a bad day, ``bad_day``) may still move:
``move_cancelled`` puts the same row, token and ticket code, into another session of its
event that takes bookings and has room for the whole party behind its waiting list,
re-checked under the target's lock at the click. The row is confirmed again there; a
second click changes nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, func, select

from ..database import writing
from ..extensions import db
from ..models import Booking, BookingStatus, EventSession
from ..timeutil import utcnow
from . import checkin, ledger, mail, party_endings, waiting_party
from .audit import audit
from .bad_day_errors import NotRebookable, RebookedElsewhere, RebookFull
from .booking import COUNTED_PER_PERSON, get_by_token, max_seats_per_booking, max_seats_per_person
from .booking import reduce as reduce_party
from .booking_errors import (
    CannotGrow,
    ChangedMeanwhile,
    InvalidSeats,
    MoveClosed,
    MoveTargetClosed,
    MoveTargetFull,
    NotEnoughSeatsToGrow,
    NotMovable,
    NotSameEvent,
    PartyTooLarge,
    SameSeats,
    SeatsPerPersonExceeded,
    SessionNotFound,
)
from .errors import DomainError
from .programme import BOOKABLE, Availability, availability, default_close, ensure_bookable

# A full session is still a place to move to: the visitor may wait for it.
MOVE_TARGET_STATES = (*BOOKABLE, Availability.FULL)

_HELD_BY_ADDRESS = select(func.coalesce(func.sum(Booking.seats), 0)).where(
    Booking.session_id == bindparam("session_id"),
    Booking.email == bindparam("email"),
    Booking.status.in_(COUNTED_PER_PERSON),
)


def lock_sessions(*session_ids: int) -> dict[int, EventSession]:
    """Lock several sessions in id order (the order every writer uses, so no deadlock)."""
    locked = {}
    for session_id in sorted(set(session_ids)):
        session = ledger.lock_session(session_id)
        if session is None:
            raise SessionNotFound(session_id)
        locked[session_id] = session
    return locked


def _held_by_address(session_id: int, email: str) -> int:
    """Seats an address holds or waits for on a session (the per-address cap counts these)."""
    return int(db.session.scalar(_HELD_BY_ADDRESS, {"session_id": session_id, "email": email}) or 0)


# ----------------------------------------------------------------------------- moving


def _source_open(booking: Booking, by_organiser: bool, now: datetime) -> str | None:
    """Why the booking's own session no longer lets it leave, or ``None``."""
    session = booking.session
    if by_organiser:
        return "past" if now >= session.ends_at else None
    if now >= session.starts_at:
        return "started"
    if now >= session.closes_at(default_close()):
        return "closed"
    return None


def may_move(booking: Booking, *, by_organiser: bool = False, now: datetime | None = None) -> bool:
    """Whether the booking itself may move at all now (whatever the target)."""
    now = now or utcnow()
    return (
        booking.status is BookingStatus.CONFIRMED
        and not booking.checked_in_seats
        and booking.changes_booking_id is None
        and _source_open(booking, by_organiser, now) is None
    )


def session_targets(
    session: EventSession, *, by_organiser: bool = False, now: datetime | None = None
) -> list[EventSession]:
    """The sessions a booking of ``session`` may be moved to, in start order.

    Organisers: the event's other sessions neither cancelled nor over. The public: those
    that take bookings now, full ones included (the visitor may wait for a seat there).
    """
    now = now or utcnow()
    others = [s for s in session.event.sessions if s.id != session.id and s.cancelled_at is None]
    if by_organiser:
        return [s for s in others if now < s.ends_at]
    return [s for s in others if availability(s, now) in MOVE_TARGET_STATES]


def move_targets(
    booking: Booking, *, by_organiser: bool = False, now: datetime | None = None
) -> list[EventSession]:
    """The sessions this booking may be moved to now; none when it may not move."""
    now = now or utcnow()
    if not may_move(booking, by_organiser=by_organiser, now=now):
        return []
    return session_targets(booking.session, by_organiser=by_organiser, now=now)


def movable_ids(
    bookings: list[Booking], targets: list[EventSession], now: datetime | None = None
) -> set[int]:
    """Which of a session's bookings an organiser may move, given the session's targets."""
    if not targets:
        return set()
    now = now or utcnow()
    return {b.id for b in bookings if may_move(b, by_organiser=True, now=now)}


def _check_move(
    booking: Booking, source: EventSession, target: EventSession, by_organiser: bool, now: datetime
) -> None:
    """Raise why ``booking`` cannot go from ``source`` to ``target`` (room apart)."""
    if booking.status is not BookingStatus.CONFIRMED or booking.changes_booking_id is not None:
        raise NotMovable()
    if booking.checked_in_seats:
        # Their check-ins belong to this session's door: the people are in this room.
        raise NotMovable(booking.checked_in_seats)
    if target.event_id != source.event_id or target.id == source.id:
        raise NotSameEvent()
    reason = _source_open(booking, by_organiser, now)
    if reason is not None:
        raise MoveClosed(reason)
    if target.cancelled_at is not None:
        raise MoveTargetClosed("cancelled")
    if by_organiser:
        if now >= target.ends_at:
            raise MoveTargetClosed("past")
        return
    state = availability(target, now)
    if state not in MOVE_TARGET_STATES:
        raise MoveTargetClosed(state.value, target.booking_opens_at)
    if booking.seats > target.capacity:
        raise PartyTooLarge(target.capacity)
    if _held_by_address(target.id, booking.email) + booking.seats > max_seats_per_person():
        raise SeatsPerPersonExceeded(max_seats_per_person())


def _lock_move(booking: Booking, target_session_id: int) -> tuple[EventSession, EventSession]:
    """Lock the booking's session, the target and its party's other sessions, in id order.

    Then the booking's own row (sessions first, then their bookings: every writer's order),
    read afresh.
    """
    source_id = booking.session_id
    ids = {source_id, target_session_id, *waiting_party.party_session_ids([booking.id])}
    sessions = waiting_party.lock_sessions(ids)
    waiting_party.lock_lead(booking.id)
    db.session.refresh(booking)
    if booking.session_id != source_id:
        raise ChangedMeanwhile()  # moved by someone else between the read and the lock
    return sessions[source_id], sessions[target_session_id]


def _waiting_row(lead: Booking, session_id: int) -> Booking | None:
    """The lead's live change row on that session, if it already waits there."""
    return next((r for r in waiting_party.party_rows(lead) if r.session_id == session_id), None)


def room_for(target: EventSession, *, by_organiser: bool) -> int:
    """Seats a moving party may take on ``target``: the public stays behind its waiting list."""
    return target.seats_free if by_organiser else target.seats_left


def move(
    booking: Booking,
    target_session_id: int,
    *,
    actor: str,
    now: datetime | None = None,
    by_organiser: bool = False,
) -> Booking:
    """Move a confirmed booking to another session of its event, whole party at once.

    Raises ``NotMovable``, ``NotSameEvent``, ``MoveClosed``, ``MoveTargetClosed``,
    ``PartyTooLarge``, ``SeatsPerPersonExceeded`` or ``MoveTargetFull`` (with the seats left).
    """
    now = now or utcnow()
    with writing():
        source, target = _lock_move(booking, target_session_id)
        _check_move(booking, source, target, by_organiser, now)
        room = room_for(target, by_organiser=by_organiser)
        if booking.seats > room:
            raise MoveTargetFull(room, booking.seats)
        _swap(booking, source, target, actor=actor, now=now)
        return booking


def _swap(
    booking: Booking, source: EventSession, target: EventSession, *, actor: str, now: datetime
) -> None:
    """The move itself, both sessions locked: new seats first, old ones freed last."""
    ledger.take_seats(target, booking.seats)
    ledger.release_seats(source, booking.seats)
    booking.session_id = target.id
    booking.reminder_sent_at = None  # the reminder is the new session's (reminders.reminder_key)
    db.session.flush()
    db.session.expire(booking, ["session"])
    audit("booking.moved", actor, booking, seats=booking.seats, source=source.id, target=target.id)
    mail.enqueue("confirmed", booking)
    # Its wishes (another session, extra seats) were made from where it was.
    party_endings.end_change_rows(booking, actor=actor, now=now)
    checkin.give_freed_seats(source, actor=actor, now=now)


def wait_to_move(
    booking: Booking, target_session_id: int, *, actor: str = "public", now: datetime | None = None
) -> Booking:
    """Move now if the target has room meanwhile; else wait for it, keeping the seats held.

    Returns the booking once moved, or the change row waiting on the target.
    """
    now = now or utcnow()
    with writing():
        source, target = _lock_move(booking, target_session_id)
        already = _waiting_row(booking, target.id)
        if already is not None:  # the same wish sent again: it stands as it is
            return already
        _check_move(booking, source, target, False, now)
        if booking.seats <= room_for(target, by_organiser=False):
            _swap(booking, source, target, actor=actor, now=now)
            return booking
        return waiting_party.join_for_change(booking, target, booking.seats, actor=actor, now=now)


# ----------------------------------------------------- after its session was cancelled


def rebookable(booking: Booking) -> bool:
    """Whether the row ended with its session and may be moved by the cancellation mail."""
    return (
        booking.status is BookingStatus.CANCELLED
        and booking.ended_reason == "session_cancelled"
        and booking.changes_booking_id is None
        and not booking.checked_in_seats
        and booking.personal_data_purged_at is None
    )


def _check_rebook(booking: Booking, target: EventSession, now: datetime) -> None:
    """Raise why the cancelled ``booking`` cannot go into ``target`` now, room included."""
    if not rebookable(booking):
        raise NotRebookable()
    if target.event_id != booking.session.event_id or target.id == booking.session_id:
        raise NotSameEvent()
    if target.cancelled_at is not None:
        raise MoveTargetClosed("cancelled")
    state = availability(target, now)
    if state not in MOVE_TARGET_STATES:
        raise MoveTargetClosed(state.value, target.booking_opens_at)
    if booking.seats > target.capacity:
        raise PartyTooLarge(target.capacity)
    if _held_by_address(target.id, booking.email) + booking.seats > max_seats_per_person():
        raise SeatsPerPersonExceeded(max_seats_per_person())
    if booking.seats > target.seats_left:
        raise RebookFull(target.seats_left, booking.seats)


def rebook_refusal(
    booking: Booking, target: EventSession, now: datetime | None = None
) -> DomainError | None:
    """Why ``move_cancelled`` would refuse now (the page before the click), or ``None``."""
    try:
        _check_rebook(booking, target, now or utcnow())
    except DomainError as error:
        return error
    return None


def rebook_targets(booking: Booking, now: datetime | None = None) -> list[EventSession]:
    """The sessions the cancelled ``booking`` may move to now, in start order (none if not)."""
    if not rebookable(booking):
        return []
    now = now or utcnow()
    targets = []
    for session in booking.session.event.sessions:
        if session.id == booking.session_id:
            continue
        try:
            _check_rebook(booking, session, now)
        except DomainError:
            continue
        targets.append(session)
    return targets


def move_cancelled(
    token: str, target_session_id: int, *, actor: str = "public", now: datetime | None = None
) -> tuple[Booking, bool]:
    """Move a booking whose session was cancelled into ``target_session_id``.

    Returns the booking and whether it moved now: a booking already there (the link
    clicked twice) is returned as it is. Raises ``NotRebookable``, ``RebookedElsewhere``,
    ``NotSameEvent``, ``MoveTargetClosed``, ``PartyTooLarge``, ``SeatsPerPersonExceeded``
    or ``RebookFull``.
    """
    now = now or utcnow()
    booking = get_by_token(token)
    with writing():
        # The target is the only session whose counters change (the cancelled one holds
        # nothing); then the booking's row, read afresh under the lock.
        target = lock_sessions(target_session_id)[target_session_id]
        waiting_party.lock_lead(booking.id)
        db.session.refresh(booking)
        if booking.status is BookingStatus.CONFIRMED and booking.changes_booking_id is None:
            if booking.session_id == target.id:
                return booking, False
            raise RebookedElsewhere(booking.session.starts_at)
        _check_rebook(booking, target, now)
        source_id = booking.session_id
        ledger.take_seats(target, booking.seats)
        booking.session_id = target.id
        booking.status = BookingStatus.CONFIRMED
        booking.ended_reason, booking.cancelled_at = "", None
        booking.offered_at = booking.offer_expires_at = None
        booking.priority, booking.priority_reason, booking.passed_over = 0, "", 0
        booking.reminder_sent_at = None
        db.session.flush()
        db.session.expire(booking, ["session"])
        audit(
            "booking.moved_after_cancel",
            actor,
            booking,
            seats=booking.seats,
            source=source_id,
            target=target.id,
        )
        mail.enqueue("confirmed", booking)
        return booking, True


# ------------------------------------------------------------------------ party size


def largest_party(booking: Booking) -> int:
    """The largest size this booking may ask for: the per-booking max and per-address cap."""
    others = _held_by_address(booking.session_id, booking.email) - booking.seats
    return max(booking.seats, min(max_seats_per_booking(), max_seats_per_person() - others))


def _check_growth(booking: Booking, session: EventSession, seats: int, now: datetime) -> int:
    """Raise why ``booking`` cannot become ``seats`` seats (room apart); return the extra."""
    if booking.status is not BookingStatus.CONFIRMED or booking.changes_booking_id is not None:
        raise CannotGrow()
    if booking.checked_in_seats:
        raise CannotGrow(booking.checked_in_seats)
    if seats == booking.seats:
        raise SameSeats(booking.seats)
    if seats < booking.seats:
        raise ChangedMeanwhile()  # smaller than asked for: someone changed it since the page
    ensure_bookable(session, now)
    if seats > max_seats_per_booking():
        raise InvalidSeats(max_seats_per_booking())
    if seats > session.capacity:
        raise PartyTooLarge(session.capacity)
    extra = seats - booking.seats
    if _held_by_address(session.id, booking.email) + extra > max_seats_per_person():
        raise SeatsPerPersonExceeded(max_seats_per_person())
    return extra


def _lock_booking(token: str) -> tuple[Booking, EventSession]:
    """The booking's session and its party's other sessions locked, then the booking's row."""
    booking = get_by_token(token)
    session = waiting_party.lock_party_sessions(booking)[booking.session_id]
    waiting_party.lock_lead(booking.id)
    db.session.refresh(booking)
    if booking.session_id != session.id:
        raise ChangedMeanwhile()
    return booking, session


def grow(token: str, seats: int, *, actor: str = "public", now: datetime | None = None) -> Booking:
    """Take free seats at once so that the party counts ``seats``, or raise why not.

    Raises ``CannotGrow``, ``SameSeats``, ``BookingClosed``, ``InvalidSeats``,
    ``PartyTooLarge``, ``SeatsPerPersonExceeded`` or ``NotEnoughSeatsToGrow``.
    """
    now = now or utcnow()
    with writing():
        booking, session = _lock_booking(token)
        extra = _check_growth(booking, session, seats, now)
        if extra > session.seats_left:
            raise NotEnoughSeatsToGrow(session.seats_left, booking.seats)
        _add_seats(booking, session, extra, actor=actor, now=now)
        return booking


def _add_seats(
    booking: Booking, session: EventSession, extra: int, *, actor: str, now: datetime
) -> None:
    """The growth itself, the party's sessions locked."""
    ledger.take_seats(session, extra)
    booking.seats += extra
    db.session.flush()
    audit("booking.grown", actor, booking, seats=booking.seats, added=extra)
    # Its wishes were for the party as it was (a move of fewer seats, other extra seats).
    party_endings.end_change_rows(booking, actor=actor, now=now)


def wait_for_seats(
    token: str, seats: int, *, actor: str = "public", now: datetime | None = None
) -> Booking:
    """Grow now if the seats are free meanwhile; else wait for the extra seats, keeping these.

    Returns the booking once grown, or the change row waiting for the extra seats.
    """
    now = now or utcnow()
    with writing():
        booking, session = _lock_booking(token)
        already = _waiting_row(booking, session.id)
        if already is not None:  # it waits for extra seats already: that wish stands
            return already
        extra = _check_growth(booking, session, seats, now)
        if extra <= session.seats_left:
            _add_seats(booking, session, extra, actor=actor, now=now)
            return booking
        return waiting_party.join_for_change(booking, session, extra, actor=actor, now=now)


def waits_for_extra_seats(booking: Booking) -> bool:
    """Whether a confirmed booking waits for extra seats (a party made smaller drops them)."""
    return (
        booking.status is BookingStatus.CONFIRMED
        and _waiting_row(booking, booking.session_id) is not None
    )


def resize(
    token: str, seats: int, *, actor: str = "public", now: datetime | None = None
) -> Booking:
    """Make the party ``seats`` seats: smaller frees seats, larger takes free ones at once."""
    booking = get_by_token(token)
    if seats < booking.seats or booking.status is BookingStatus.WAITING:
        return reduce_party(token, seats, actor=actor, now=now)
    return grow(token, seats, actor=actor, now=now)
