"""Booking rules: take seats for a party, cancel and give them back.

Every change runs inside the unit of work (``database.writing``) and raises a
``DomainError`` when a rule says no; what it wrote is then rolled back, nothing is stored.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import bindparam, case, func, select
from sqlalchemy.exc import IntegrityError

from ..database import writes, writing
from ..extensions import db
from ..models import Booking, BookingStatus, EventSession
from ..timeutil import utcnow
from . import checkin, ledger, mail, party_endings, questions, waiting_party, waitlist
from .audit import audit
from .booking_errors import (
    AlreadyCancelled,
    AlsoNotPossible,
    BookingClosed,
    BookingErased,
    BookingNotFound,
    CannotReduce,
    InvalidSeats,
    NoOfferPending,
    PartyInside,
    PartyTooLarge,
    SeatsPerPersonExceeded,
    SessionFull,
    SessionNotFound,
    SessionStarted,
)
from .booking_keys import BookingKeys, new_ticket_code, new_token
from .booking_request import BookingRequest, NonceLookup, earlier_booking
from .programme import ensure_bookable

# Statuses whose seats count against a person's cap on one session.
COUNTED_PER_PERSON = (BookingStatus.CONFIRMED, BookingStatus.WAITING, BookingStatus.OFFERED)

# The request and the keys live in their own modules; callers find them here with the rules.
__all__ = [
    "BookingKeys",
    "BookingRequest",
    "NonceLookup",
    "book",
    "cancel",
    "decline_offer",
    "get_by_token",
    "join_waitlist",
    "max_seats_per_booking",
    "max_seats_per_person",
    "new_ticket_code",
    "new_token",
    "normalise_email",
    "reduce",
]


def max_seats_per_booking() -> int:
    """The largest party one booking may hold (``BOOKING_MAX_SEATS``)."""
    return int(current_app.config["BOOKING_MAX_SEATS"])


def max_seats_per_person() -> int:
    """The most seats one e-mail address may hold on one session (``BOOKING_MAX_SEATS_PER_EMAIL``)."""
    return int(current_app.config["BOOKING_MAX_SEATS_PER_EMAIL"])


def normalise_email(email: str) -> str:
    """The form in which addresses are stored and compared."""
    return email.strip().lower()


# A group's booking (made with a hold's code) counts as one seat: the teacher's own.
_SEATS_HELD_BY_ADDRESS = select(
    func.coalesce(func.sum(case((Booking.group_hold_id.is_not(None), 1), else_=Booking.seats)), 0)
).where(
    Booking.session_id == bindparam("session_id"),
    Booking.email == bindparam("email"),
    Booking.status.in_(COUNTED_PER_PERSON),
)


def seats_counted_for_address(session_id: int, email: str) -> int:
    """The seats an address holds or waits for on a session, as the cap per person counts."""
    held = db.session.scalar(_SEATS_HELD_BY_ADDRESS, {"session_id": session_id, "email": email})
    return int(held or 0)


def _new_booking(
    session: EventSession,
    request: BookingRequest,
    status: BookingStatus,
    now: datetime,
    keys: BookingKeys,
) -> Booking:
    """A booking row for ``request`` with the secrets drawn for it (the caller adds it)."""
    return Booking(
        session=session,
        token=keys.token,
        ticket_code=keys.ticket_code,
        request_nonce=request.nonce or None,
        name=request.name.strip(),
        email=normalise_email(request.email),
        phone=request.phone.strip(),
        seats=request.seats,
        status=status,
        accessibility_needs=request.accessibility_needs.strip(),
        locale=request.locale,
        source=request.source,
        created_at=now,
    )


def _check_request(session: EventSession, request: BookingRequest, now: datetime) -> None:
    """Raise why ``request`` cannot be confirmed on ``session`` as it stands."""
    if request.by_organiser:
        if session.cancelled_at is not None or now >= session.ends_at:
            raise BookingClosed("cancelled" if session.cancelled_at else "past")
        if not 1 <= request.seats <= session.capacity:
            raise InvalidSeats(session.capacity)
        if request.seats > session.seats_free:
            raise SessionFull(seats_left=session.seats_free, seats_wanted=request.seats)
        return
    ensure_bookable(session, now)
    maximum = max_seats_per_booking()
    if not 1 <= request.seats <= maximum:
        raise InvalidSeats(maximum)
    if request.seats > session.seats_left:
        raise SessionFull(seats_left=session.seats_left, seats_wanted=request.seats)


def _check_seats_per_person(
    session: EventSession, request: BookingRequest, *, already_written: bool = False
) -> None:
    """Refuse a request that would give one address more seats than one person may have.

    Called under the session's lock, so two forms sent at once by the same person cannot
    both squeeze under the cap. ``already_written``: the request's own booking is in the
    transaction, hence in the sum. Organisers booking by phone are trusted with groups.
    """
    if request.by_organiser:
        return
    held = seats_counted_for_address(session.id, normalise_email(request.email))
    asked = 0 if already_written else request.seats
    if held + asked > max_seats_per_person():
        raise SeatsPerPersonExceeded(max_seats_per_person())


def book(request: BookingRequest, *, actor: str = "public", now: datetime | None = None) -> Booking:
    """Confirm a booking for the whole party, or raise why not.

    Raises ``SessionNotFound``, ``BookingClosed``, ``InvalidSeats`` or ``SessionFull``.
    Submitting the same form twice (same ``nonce``) returns the first booking.

    A refusal is decided from an unlocked read when it is already certain (a full
    session refuses a rush of hundreds without making them queue for the lock). An
    acceptance writes the booking, its audit entry and its mail first, then takes the
    seats with the ledger's conditional UPDATE, which locks the session's row: in a rush,
    the row everybody queues for is held for the last few statements only. Whatever
    fails after that rolls the whole request back.
    """
    now = now or utcnow()
    earlier, request = earlier_booking(request)
    if earlier is not None:
        return earlier
    session = db.session.get(EventSession, request.session_id)
    if session is None:
        raise SessionNotFound(request.session_id)
    _check_request(session, request, now)
    answers = _checked_answers(session, request)
    keys = BookingKeys.draw()
    try:
        with writing():
            booking = _new_booking(session, request, BookingStatus.CONFIRMED, now, keys)
            db.session.add(booking)
            db.session.flush()
            questions.store_answers(booking, answers)
            audit("booking.confirmed", actor, booking, seats=booking.seats)
            mail.enqueue("confirmed", booking)
            _claim_seats(session, request, now)
            _check_seats_per_person(session, request, already_written=True)
    except IntegrityError:
        # The nonce is unique: an identical submit (a double click) was booked meanwhile,
        # and its booking is the answer (``writing()`` took ours back). Anything else is a
        # real error.
        earlier, _request = earlier_booking(request, fresh=True)
        if earlier is None:
            raise
        return earlier
    return booking


def _checked_answers(session: EventSession, request: BookingRequest) -> dict[int, str]:
    """The request's answers to the event's questions, or ``AnswersRefused``.

    Checked after the seats, so a full session refuses a rush without reading its questions.
    """
    return questions.check_answers(
        session.event_id, dict(request.answers), enforce_required=not request.by_organiser
    )


def _claim_seats(session: EventSession, request: BookingRequest, now: datetime) -> None:
    """Take the request's seats, or raise why not as the session stands now.

    When the conditional UPDATE finds no room, the session is read again: the precise
    reason (full, cancelled meanwhile…) comes from that fresh row. If seats were freed in
    between, it tries again.
    """
    for _attempt in range(3):
        if ledger.claim_seats(session, request.seats, behind_waiting_list=not request.by_organiser):
            return
        db.session.refresh(session)
        _check_request(session, request, now)
    raise SessionFull(seats_left=session.seats_left, seats_wanted=request.seats)


def join_waitlist(
    request: BookingRequest, *, actor: str = "public", now: datetime | None = None
) -> Booking:
    """Put a party on the session's waiting list; it may get an offer at once.

    With ``request.also``, the party waits on those other sessions of the event as well,
    one place on each list (``waiting_party``); the first offer it accepts withdraws it
    from the others. Raises ``SessionNotFound``, ``BookingClosed``, ``InvalidSeats``,
    ``PartyTooLarge``, ``SeatsPerPersonExceeded`` or ``AlsoNotPossible``.
    """
    now = now or utcnow()
    keys = BookingKeys.draw()
    with writing():
        also = tuple(dict.fromkeys(request.also))
        if request.session_id in also:
            raise AlsoNotPossible()
        locked = waiting_party.lock_sessions_present({request.session_id, *also})
        session = locked.get(request.session_id)
        if session is None:
            raise SessionNotFound(request.session_id)
        earlier, request = earlier_booking(request, fresh=True)
        if earlier is not None:
            return earlier
        ensure_bookable(session, now)
        maximum = max_seats_per_booking()
        if not 1 <= request.seats <= maximum:
            raise InvalidSeats(maximum)
        if request.seats > session.capacity:
            raise PartyTooLarge(session.capacity)
        _check_seats_per_person(session, request)
        others = [_also_session(locked, session, other_id, request, now) for other_id in also]
        answers = _checked_answers(session, request)
        booking = _new_booking(session, request, BookingStatus.WAITING, now, keys)
        db.session.add(booking)
        ledger.add_waiting(session, booking.seats)
        db.session.flush()
        # On the party's own row: an offer accepted later confirms this row (or makes one
        # of its change rows its new session), so the answers follow the party.
        questions.store_answers(booking, answers)
        audit("waitlist.joined", actor, booking, seats=booking.seats, also=list(also))
        waitlist.promote(session, now, actor)
        for other in sorted(others, key=lambda s: (s.starts_at, s.id)):
            waiting_party.join_for_change(booking, other, booking.seats, actor=actor, now=now)
        if booking.status is BookingStatus.WAITING:
            mail.enqueue(
                "waitlist_joined", booking, position=waitlist.position(booking), also=len(others)
            )
        return booking


def _also_session(
    locked: dict[int, EventSession],
    session: EventSession,
    other_id: int,
    request: BookingRequest,
    now: datetime,
) -> EventSession:
    """A session the party asked to wait on as well, or why it cannot."""
    other = locked.get(other_id)
    if other is None or other.event_id != session.event_id:
        raise AlsoNotPossible()
    try:
        ensure_bookable(other, now)
    except BookingClosed:
        raise AlsoNotPossible(other.starts_at, "closed") from None
    if request.seats > other.capacity:
        raise AlsoNotPossible(other.starts_at, "too_large")
    _check_seats_per_person(other, request)
    return other


def get_by_token(token: str) -> Booking:
    """Return the booking behind a secret token.

    Raises ``BookingNotFound``, or ``BookingErased`` once its people's details are gone
    (every page under the token then says so, instead of showing an empty booking).
    """
    booking = db.session.execute(select(Booking).where(Booking.token == token)).scalar_one_or_none()
    if booking is None:
        raise BookingNotFound()
    if booking.personal_data_purged_at is not None:
        raise BookingErased()
    return booking


def _lock_for_change(token: str) -> tuple[Booking, EventSession]:
    """Load a booking and lock its session (lock order: session row, then its bookings)."""
    booking = get_by_token(token)
    # The sessions where its party waits too: ending a row runs those lists.
    sessions = waiting_party.lock_party_sessions(booking)
    db.session.refresh(booking)
    session = sessions.get(booking.session_id) or ledger.lock_session(booking.session_id)
    if session is None:  # the booking's session_id is a foreign key
        raise SessionNotFound(booking.session_id)
    return booking, session


@writes
def cancel(token: str, *, actor: str = "public", now: datetime | None = None) -> Booking:
    """End a booking: cancel confirmed seats, decline an offer, or leave the waiting list.

    Freed seats go to the waiting list at once, or once booking has closed to the door's
    standby queue. Raises ``BookingNotFound``, ``AlreadyCancelled``, ``SessionStarted`` (a
    started session keeps its bookings) or ``PartyInside`` (some of the party came in).
    """
    now = now or utcnow()
    booking, session = _lock_for_change(token)
    if not booking.is_active:
        raise AlreadyCancelled()
    if booking.status is BookingStatus.CONFIRMED and now >= session.starts_at:
        raise SessionStarted()
    if booking.checked_in_seats > 0:
        # People of the party are in the room: their seats cannot go to anybody else, and
        # a booking half cancelled would say "cancelled" at the door to those still to
        # come. The booker or an organiser who knows the others won't come makes the
        # party smaller instead (down to those inside), which the message says.
        raise PartyInside(booking.checked_in_seats, booking.seats)
    previous = booking.status
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = now
    booking.ended_reason = {
        BookingStatus.CONFIRMED: "cancelled",
        BookingStatus.OFFERED: "declined",
        BookingStatus.WAITING: "left",
    }[previous]
    if previous is BookingStatus.WAITING:
        ledger.add_waiting(session, -booking.seats)
    else:
        ledger.release_seats(session, booking.seats)
    db.session.flush()
    audit(f"booking.{booking.ended_reason}", actor, booking, seats=booking.seats)
    if party_endings.after_ending(booking, previous, actor=actor, now=now):
        mail.enqueue("cancelled", booking)
    checkin.give_freed_seats(session, actor=actor, now=now)
    return booking


@writes
def decline_offer(
    token: str, *, offer_id: int | None = None, actor: str = "public", now: datetime | None = None
) -> Booking:
    """Decline the seats the party's offer holds: they go to the next party.

    The offer may be the lead's or one of its change rows' (``offer_id`` pins the one the
    visitor saw); the lead is returned, unchanged by a change row's decline (a confirmed
    lead keeps its seats). ``NoOfferPending`` when there is none.
    """
    booking, _session = _lock_for_change(token)
    lead = waiting_party.lead_of(booking)
    offer = waiting_party.pinned(waiting_party.offered_row(lead), offer_id, lead)
    if offer is None:
        raise NoOfferPending()
    declined = cancel(offer.token, actor=actor, now=now)
    return lead if declined.id != lead.id else declined


@writes
def reduce(
    token: str, seats: int, *, actor: str = "public", now: datetime | None = None
) -> Booking:
    """Make a confirmed or waiting party smaller; freed seats go to the waiting list.

    The party's other lists and its move shrink with it, keeping their places; a wish
    for extra seats ends (``party_endings.after_reduction``).

    Raises ``CannotReduce`` unless ``1 <= seats < current``, ``SessionStarted``, or
    ``PartyInside`` below the seats already checked in at the door.
    """
    now = now or utcnow()
    booking, session = _lock_for_change(token)
    if (
        booking.status not in (BookingStatus.CONFIRMED, BookingStatus.WAITING)
        or not 1 <= seats < booking.seats
    ):
        raise CannotReduce(booking.seats)
    if now >= session.starts_at:
        raise SessionStarted()
    if seats < booking.checked_in_seats:
        raise PartyInside(booking.checked_in_seats, booking.seats, reducing=True)
    freed = booking.seats - seats
    if booking.status is BookingStatus.WAITING:
        ledger.add_waiting(session, -freed)
    else:
        ledger.release_seats(session, freed)
    booking.seats = seats
    db.session.flush()
    audit("booking.reduced", actor, booking, seats=seats, freed=freed)
    # Its other lists and its move follow the party's size; extra seats end.
    touched = party_endings.after_reduction(booking, actor=actor, now=now)
    party_endings.run_lists(touched - {session.id}, actor=actor, now=now)
    checkin.give_freed_seats(session, actor=actor, now=now)
    return booking
