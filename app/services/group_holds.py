"""Seats held for a group: hold them, book them with the group's code, give back the rest.

A hold takes its seats from the ledger when it is made (``ledger.take_seats``, under the
session's lock, like any seat change): from then on they are taken for the public, the
live counts and ``check-ledger``. A booking made with the code moves seats from the hold to
itself without touching ``seats_taken``; the release (at its time, from cron, or early by
an organiser) gives the unused ones back through the path every freed seat takes: the
waiting list while booking is open, the door's queue after.
"""

from __future__ import annotations

import base64
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..database import writes, writing
from ..extensions import db
from ..models import Booking, BookingStatus, EventSession, GroupHold
from ..timeutil import utcnow
from . import checkin, ledger, mail, questions
from .audit import audit
from .booking import max_seats_per_person, normalise_email, seats_counted_for_address
from .booking_errors import (
    SeatsPerPersonExceeded,
    SessionFull,
    SessionNotFound,
)
from .booking_keys import BookingKeys
from .booking_request import BookingRequest, earlier_booking
from .group_hold_errors import (
    GroupAdultsInvalid,
    GroupCodeInvalid,
    GroupSeatsExceeded,
    HoldAlreadyReleased,
    HoldLabelMissing,
    HoldNotFound,
    HoldNotOpen,
    HoldReleaseInvalid,
    HoldSeatsInvalid,
    HoldTooLarge,
)

# 128 random bits in base 32 (26 letters and digits, no 0/1 confusion with O/I): as hard
# to guess as a booking's token, and still typeable from a printed letter.
CODE_BYTES = 16
CODE_MAX_TYPED = 60


def new_code() -> str:
    """A fresh group code, stored and sent in this form."""
    return base64.b32encode(secrets.token_bytes(CODE_BYTES)).decode().rstrip("=")


def normalise_code(typed: str) -> str:
    """The code as stored, from what was typed or pasted (spaces, dashes, lower case)."""
    return "".join(char for char in typed.upper() if char.isalnum())[:CODE_MAX_TYPED]


def display_code(code: str) -> str:
    """The code in groups of four, easier to read out and to type."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def _open_holds(session_id: int, now: datetime, *, lock: bool = False) -> list[GroupHold]:
    """The session's holds that a code may still book."""
    stmt = select(GroupHold).where(
        GroupHold.session_id == session_id,
        GroupHold.released_at.is_(None),
        GroupHold.release_at > now,
    )
    if lock:
        stmt = stmt.with_for_update(of=GroupHold).execution_options(populate_existing=True)
    return list(db.session.scalars(stmt))


def _matching(holds: list[GroupHold], typed: str) -> GroupHold | None:
    """The hold whose code is ``typed``, every code compared in constant time."""
    code = normalise_code(typed).encode()
    found = None
    for hold in holds:
        # No early exit: the time taken does not depend on which hold (if any) matched.
        if hmac.compare_digest(hold.code.encode(), code):
            found = hold
    return found


def find_by_code(session_id: int, typed: str, now: datetime | None = None) -> GroupHold:
    """The open hold of ``session_id`` behind ``typed``, or ``GroupCodeInvalid``.

    Only that session's holds are compared: another session's code is as unknown here as
    a made-up one, and gets the same answer.
    """
    hold = _matching(_open_holds(session_id, now or utcnow()), typed) if typed else None
    if hold is None or hold.seats_unused <= 0:
        raise GroupCodeInvalid()
    return hold


@writes
def hold_seats(
    session_id: int,
    seats: int,
    label: str,
    release_at: datetime,
    *,
    actor: str,
    now: datetime | None = None,
) -> GroupHold:
    """Hold ``seats`` free seats of a session for a group until ``release_at``.

    The seats come out of the free seats (ahead of the waiting list, as an organiser's
    own booking may), in one conditional statement under the session's lock: never more
    than are free. Raises ``SessionNotFound``, ``HoldNotOpen``, ``HoldSeatsInvalid``,
    ``HoldLabelMissing``, ``HoldReleaseInvalid`` or ``HoldTooLarge``.
    """
    now = now or utcnow()
    label = label.strip()
    if not label or len(label) > 120:
        raise HoldLabelMissing()
    if seats < 1:
        raise HoldSeatsInvalid()
    session = ledger.lock_session(session_id)
    if session is None:
        raise SessionNotFound(session_id)
    if session.cancelled_at is not None or now >= session.starts_at:
        raise HoldNotOpen()
    if not now < release_at <= session.starts_at:
        raise HoldReleaseInvalid()
    try:
        ledger.take_seats(session, seats)
    except SessionFull:
        raise HoldTooLarge(session.seats_free) from None
    hold = GroupHold(
        session_id=session.id,
        seats=seats,
        label=label,
        code=new_code(),
        release_at=release_at,
        created_by=actor,
        created_at=now,
    )
    db.session.add(hold)
    db.session.flush()
    audit("group_hold.created", actor, session_id=session.id, hold=hold.id, seats=seats)
    return hold


@dataclass(frozen=True)
class GroupBookingRequest:
    """What the group's booking form asked for, already parsed."""

    booking: BookingRequest
    code: str
    adults: int = 0


def book_with_code(
    group: GroupBookingRequest, *, actor: str = "public", now: datetime | None = None
) -> Booking:
    """Book up to the seats still held for the group, in one booking.

    The per-booking maximum does not apply (the hold is the limit); the cap per address
    counts the group's booking as one seat, so a teacher may still book for themself.
    The hold is locked under the session's lock, so two teachers with the same code
    cannot both take its last seats. Raises ``GroupCodeInvalid`` (one answer for every
    wrong code), ``GroupSeatsExceeded``, ``GroupAdultsInvalid``, ``HoldNotOpen``,
    ``SeatsPerPersonExceeded`` or ``AnswersRefused``; the same form sent twice returns the first booking.
    """
    now = now or utcnow()
    request = group.booking
    earlier, request = earlier_booking(request)
    if earlier is not None:
        return earlier
    keys = BookingKeys.draw()
    try:
        with writing():
            session = ledger.lock_session(request.session_id)
            if session is None:
                raise GroupCodeInvalid()
            hold = _matching(_open_holds(session.id, now, lock=True), group.code)
            if hold is None or hold.seats_unused <= 0:
                raise GroupCodeInvalid()
            if session.cancelled_at is not None or now >= session.starts_at:
                raise HoldNotOpen()
            if not 1 <= request.seats <= hold.seats_unused:
                raise GroupSeatsExceeded(hold.seats_unused)
            if not 0 <= group.adults <= request.seats:
                raise GroupAdultsInvalid()
            _check_address(session, request.email)
            # The teacher answers the event's own questions, as every booker does.
            answers = questions.check_answers(session.event_id, dict(request.answers))
            booking = Booking(
                session=session,
                token=keys.token,
                ticket_code=keys.ticket_code,
                request_nonce=request.nonce or None,
                name=request.name.strip(),
                email=normalise_email(request.email),
                phone=request.phone.strip(),
                seats=request.seats,
                status=BookingStatus.CONFIRMED,
                accessibility_needs=request.accessibility_needs.strip(),
                locale=request.locale,
                source="group",
                group_hold_id=hold.id,
                adults=group.adults,
                created_at=now,
            )
            db.session.add(booking)
            # The seats move from the hold to the booking: seats_taken stays as it is.
            hold.seats_used += request.seats
            db.session.flush()
            questions.store_answers(booking, answers)
            audit("group_hold.booked", actor, booking, hold=hold.id, seats=booking.seats)
            mail.enqueue("confirmed", booking)
            ledger.bump_change_counter()
    except IntegrityError:
        # A double click lost the race on the nonce: the first booking is the answer.
        earlier, _request = earlier_booking(request)
        if earlier is None:
            raise
        return earlier
    return booking


def _check_address(session: EventSession, email: str) -> None:
    """The cap per address, with every group booking counted as one seat (this one too)."""
    if seats_counted_for_address(session.id, normalise_email(email)) + 1 > max_seats_per_person():
        raise SeatsPerPersonExceeded(max_seats_per_person())


def end_with_session(session: EventSession, *, actor: str, now: datetime) -> None:
    """A session being cancelled (its lock held): its holds end and hold no seat."""
    holds = db.session.scalars(
        select(GroupHold).where(GroupHold.session_id == session.id, GroupHold.released_at.is_(None))
    ).all()
    for hold in holds:
        _release(hold, session, actor=actor, now=now, pass_on=False)


def _release(
    hold: GroupHold, session: EventSession, *, actor: str, now: datetime, pass_on: bool = True
) -> bool:
    """Give back what ``hold`` still holds; False when it was released already.

    ``pass_on``: the freed seats go to the waiting list and the door (not when the
    session itself is being cancelled). A conditional UPDATE: of two runs that reach the same hold (two hosts' cron, an
    organiser's click at the release time), the second finds it done and does nothing.
    """
    table = GroupHold.__table__
    released = db.session.execute(
        update(table)
        .where(table.c.id == hold.id, table.c.released_at.is_(None))
        .values(released_at=now)
        .returning(table.c.seats, table.c.seats_used)
    ).first()
    if released is None:
        db.session.refresh(hold)
        return False
    db.session.refresh(hold)
    unused = released.seats - released.seats_used
    if unused > 0:
        ledger.release_seats(session, unused)
    audit(
        "group_hold.released",
        actor,
        session_id=session.id,
        hold=hold.id,
        seats=unused,
        early=now < hold.release_at,
    )
    if unused > 0 and pass_on:
        checkin.give_freed_seats(session, actor=actor, now=now)
    return True


def get_hold(hold_id: int) -> GroupHold:
    """A hold by id (organisers see ids), or ``HoldNotFound``."""
    hold = db.session.get(GroupHold, hold_id)
    if hold is None:
        raise HoldNotFound()
    return hold


@writes
def release_now(hold_id: int, *, actor: str, now: datetime | None = None) -> GroupHold:
    """An organiser gives the unused seats back before the release time."""
    now = now or utcnow()
    hold = db.session.get(GroupHold, hold_id)
    if hold is None:
        raise HoldNotFound()
    session = ledger.lock_session(hold.session_id)
    if session is None:  # hold.session_id is a foreign key
        raise HoldNotFound()
    if not _release(hold, session, actor=actor, now=now):
        raise HoldAlreadyReleased()
    return hold


def release_due(now: datetime | None = None) -> int:
    """Release every hold whose time has come; return how many this run released.

    Each session is locked (id order) and each hold released by a conditional statement,
    so two hosts running this at once release every hold exactly once.
    """
    now = now or utcnow()
    due = db.session.execute(
        select(GroupHold.id, GroupHold.session_id)
        .where(GroupHold.released_at.is_(None), GroupHold.release_at <= now)
        .order_by(GroupHold.session_id, GroupHold.id)
    ).all()
    if not due:
        return 0
    released = 0
    with writing():
        for row in due:
            session = ledger.lock_session(row.session_id)
            hold = db.session.get(GroupHold, row.id)
            if session is None or hold is None:
                continue
            if _release(hold, session, actor="system", now=now):
                released += 1
    return released


def holds_of(session_id: int) -> list[GroupHold]:
    """Every hold of a session, newest first (the organisers' page)."""
    return list(
        db.session.scalars(
            select(GroupHold)
            .where(GroupHold.session_id == session_id)
            .order_by(GroupHold.created_at.desc(), GroupHold.id.desc())
        )
    )


def bookings_of(hold_ids: list[int]) -> dict[int, list[Booking]]:
    """The bookings made with each hold's code."""
    found: dict[int, list[Booking]] = {hold_id: [] for hold_id in hold_ids}
    if not hold_ids:
        return found
    for booking in db.session.scalars(
        select(Booking).where(Booking.group_hold_id.in_(hold_ids)).order_by(Booking.id)
    ):
        found[booking.group_hold_id or 0].append(booking)
    return found
