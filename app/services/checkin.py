"""Check-in at the door: tickets, partial parties, undo, walk-ins, no-shows and standby.

Like every seat change, each function locks the session row first and works in the
caller's transaction. Every action from a tablet carries its own nonce, kept with what it
was for (``DoorAction``): a retry after a dropped connection returns the first result
instead of checking in twice, and the nonce sent for another party or action is refused.
Two tablets checking in the same party at once: the second is told who did it first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext, ngettext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..database import writes
from ..extensions import db
from ..i18n import clock, full_date
from ..models import (
    Booking,
    BookingStatus,
    CheckIn,
    DoorAction,
    EventSession,
    StandbyEntry,
    StandbyStatus,
)
from ..timeutil import utcnow
from . import ledger, waitlist
from .audit import audit
from .booking import new_ticket_code, new_token
from .errors import DomainError, SessionNotFound
from .programme import default_close


class UnknownTicket(DomainError):
    """No booking has this ticket code."""

    code = "unknown_ticket"
    status = 404

    def message(self) -> str:
        """Explain in the current language."""
        return gettext("Billet inconnu : vérifiez le code.")


class WrongSession(DomainError):
    """The ticket is for another session (or another day)."""

    code = "wrong_session"
    status = 409

    def __init__(self, booking: Booking) -> None:
        super().__init__(booking.id)
        self.title = booking.session.event.title
        self.starts_at = booking.session.starts_at

    def message(self) -> str:
        """Say which session the ticket is for."""
        return gettext(
            "Ce billet est pour une autre séance : « %(title)s », %(when)s.",
            title=self.title,
            when=full_date(self.starts_at),
        )


class AlreadyCheckedIn(DomainError):
    """Every seat of the party is already in: say when and by whom."""

    code = "already_checked_in"
    status = 409

    def __init__(self, at: datetime, by: str, seats: int) -> None:
        super().__init__(at)
        self.at, self.by, self.seats = at, by, seats

    def message(self) -> str:
        """Say when, by whom."""
        return ngettext(
            "Déjà entré : %(num)d place à %(time)s (par %(by)s).",
            "Déjà entrés : %(num)d places à %(time)s (par %(by)s).",
            self.seats,
            time=clock(self.at),
            by=self.by,
        )


class NotAdmissible(DomainError):
    """The booking does not give entry (cancelled, still on the waiting list…)."""

    code = "not_admissible"
    status = 409

    def __init__(self, status: BookingStatus) -> None:
        super().__init__(status)
        self.booking_status = status

    def message(self) -> str:
        """Explain in the current language."""
        if self.booking_status is BookingStatus.WAITING:
            return gettext("Cette personne est sur la liste d’attente, sans place confirmée.")
        if self.booking_status is BookingStatus.EXPIRED:
            return gettext("La proposition de places de ce billet a expiré.")
        return gettext("Ce billet a été annulé.")


class NoSeatsAtDoor(DomainError):
    """Not enough free seats for this party."""

    code = "no_seats_at_door"
    status = 409

    def __init__(self, free: int) -> None:
        super().__init__(free)
        self.free = free

    def message(self) -> str:
        """Say how many seats are free."""
        if self.free == 0:
            return gettext("Plus aucune place libre.")
        return ngettext(
            "Il ne reste qu’une place libre.", "Il ne reste que %(num)d places libres.", self.free
        )


class BadSeatCount(DomainError):
    """A number of seats outside what the party (or the door) allows."""

    code = "bad_seat_count"
    status = 422

    def __init__(self, maximum: int) -> None:
        super().__init__(maximum)
        self.maximum = maximum

    def message(self) -> str:
        """Explain in the current language."""
        return gettext("Choisissez entre 1 et %(num)d places.", num=self.maximum)


class ReleaseTooEarly(DomainError):
    """No-shows can only be released shortly before the start."""

    code = "release_too_early"
    status = 409

    def __init__(self, from_time: datetime) -> None:
        super().__init__(from_time)
        self.from_time = from_time

    def message(self) -> str:
        """Say from when."""
        return gettext(
            "Trop tôt : les places des absents peuvent être libérées à partir de %(time)s.",
            time=clock(self.from_time),
        )


class NothingToUndo(DomainError):
    """That check-in was already undone."""

    code = "nothing_to_undo"
    status = 409

    def message(self) -> str:
        """Explain in the current language."""
        return gettext("Cette entrée a déjà été annulée.")


class NonceReused(DomainError):
    """A tablet sent the nonce of an action already recorded with another action."""

    code = "nonce_reused"
    status = 409

    def message(self) -> str:
        """Explain in the current language."""
        return gettext(
            "Cet identifiant d’action a déjà servi pour une autre action : rien n’a été "
            "enregistré. Rechargez la page et recommencez."
        )


class SessionCancelledAtDoor(DomainError):
    """A cancelled session lets nobody in."""

    code = "session_cancelled"
    status = 409

    def message(self) -> str:
        """Explain in the current language."""
        return gettext("Cette séance est annulée : personne ne peut entrer.")


class StandbyFirst(DomainError):
    """People wait on the door's standby queue: a new party does not go in before them."""

    code = "standby_first"
    status = 409

    def __init__(self, waiting: int) -> None:
        super().__init__(waiting)
        self.waiting = waiting

    def message(self) -> str:
        """Say how many wait, and what to do."""
        return ngettext(
            "%(num)d place est déjà demandée dans la file d’attente de la porte : "
            "ajoutez ce groupe à la file, il entrera à son tour.",
            "%(num)d places sont déjà demandées dans la file d’attente de la porte : "
            "ajoutez ce groupe à la file, il entrera à son tour.",
            self.waiting,
        )


class WaitingListFirst(DomainError):
    """Online booking is open and parties wait: free seats are theirs before the door's."""

    code = "waiting_list_first"
    status = 409

    def message(self) -> str:
        """Say why the free seats are not for the door yet."""
        return gettext(
            "Des personnes attendent sur la liste d’attente en ligne : les places libres leur "
            "sont proposées d’abord, jusqu’à la clôture des réservations. Ajoutez ce groupe à "
            "la file de la porte."
        )


def normalise_code(raw: str) -> str:
    """« k7mq 3xpa », « K7MQ-3XPA », « k7mq3xpa » all become « K7MQ-3XPA »."""
    compact = re.sub(r"[^A-Za-z0-9]", "", raw or "").upper()
    return f"{compact[:4]}-{compact[4:]}" if len(compact) == 8 else compact


def release_opens_at(session: EventSession) -> datetime:
    """From when the seats of absent parties may go to the door."""
    return session.starts_at - timedelta(
        minutes=int(current_app.config.get("DOOR_RELEASE_MINUTES", 10))
    )


@dataclass(frozen=True)
class DoorCounters:
    """What the door tablet shows in big numbers."""

    expected: int
    checked_in: int
    free: int
    waiting: int
    standby: int

    @property
    def to_come(self) -> int:
        """Expected seats not in yet."""
        return max(self.expected - self.checked_in, 0)


def counters(session: EventSession) -> DoorCounters:
    """The door's counters, in two small queries."""
    expected, checked_in = db.session.execute(
        select(
            func.coalesce(func.sum(Booking.seats), 0),
            func.coalesce(func.sum(Booking.checked_in_seats), 0),
        ).where(
            Booking.session_id == session.id,
            Booking.status.in_((BookingStatus.CONFIRMED, BookingStatus.OFFERED)),
        )
    ).one()
    standby = db.session.scalar(
        select(func.coalesce(func.sum(StandbyEntry.seats), 0)).where(
            StandbyEntry.session_id == session.id, StandbyEntry.status == StandbyStatus.WAITING
        )
    )
    return DoorCounters(
        int(expected), int(checked_in), session.seats_free, session.seats_waiting, int(standby or 0)
    )


def door_list(session_id: int) -> list[Booking]:
    """Everyone who may come through the door (confirmed, offered, released), not yet in first."""
    return list(
        db.session.scalars(
            select(Booking)
            .where(
                Booking.session_id == session_id,
                Booking.status.in_(
                    (BookingStatus.CONFIRMED, BookingStatus.OFFERED, BookingStatus.RELEASED)
                ),
            )
            .order_by(Booking.checked_in_seats >= Booking.seats, Booking.name, Booking.id)
        )
    )


def last_check_ins(session_id: int) -> dict[int, CheckIn]:
    """The latest check-in still standing per booking (for "undo" and "in at 14 h 02 by…")."""
    latest: dict[int, CheckIn] = {}
    for entry in db.session.scalars(
        select(CheckIn)
        .where(CheckIn.session_id == session_id, CheckIn.undone_at.is_(None))
        .order_by(CheckIn.at, CheckIn.id)
    ):
        latest[entry.booking_id] = entry
    return latest


def _locked(session_id: int) -> EventSession:
    """Lock a session for a door action."""
    session = ledger.lock_session(session_id)
    if session is None:
        raise SessionNotFound(session_id)
    return session


def _door_open(session: EventSession) -> None:
    """A cancelled session lets nobody in (its bookings are cancelled, its seats gone)."""
    if session.cancelled_at is not None:
        raise SessionCancelledAtDoor()


def booking_has_closed(session: EventSession, now: datetime) -> bool:
    """Whether online booking (and the waiting list's offers) has closed for ``session``."""
    return now >= session.closes_at(default_close())


def door_may_take_seats(session: EventSession, now: datetime) -> bool:
    """Whether the door may give free seats to people without a booking.

    While online booking is open and anybody is on the waiting list, free seats are the
    list's (they may be held for a party passed over, see ``waitlist.promote``): the door
    takes none. Once booking has closed (no more offers), or when nobody waits, it may.
    """
    return session.seats_waiting == 0 or booking_has_closed(session, now)


def give_freed_seats(session: EventSession, *, actor: str, now: datetime) -> None:
    """Seats just freed (a cancellation, a smaller party, an undone walk-in, no-shows) move on.

    The waiting list first, as long as booking is open; the people waiting at the door get
    what the door may take (``door_may_take_seats``). The caller holds the session's lock.
    """
    waitlist.promote(session, now, actor)
    admit_standby(session, actor=actor, now=now)


def _same_action(
    action: DoorAction,
    session_id: int,
    kind: str,
    booking_id: int | None,
    seats: int | None,
    name: str | None,
) -> bool:
    """Whether a stored action is the one asked again (a retry), not another one."""
    if (action.session_id, action.kind, action.seats) != (session_id, kind, seats):
        return False
    if kind == "check_in":
        return action.booking_id == booking_id
    wanted = (name or "").strip()
    if kind == "walk_in":
        entry = action.check_in
        return entry is not None and entry.booking.name == (wanted or gettext("Sans réservation"))
    return action.standby_entry is not None and action.standby_entry.name == wanted


def _replayed(
    nonce: str | None,
    session_id: int,
    kind: str,
    *,
    booking_id: int | None = None,
    seats: int | None = None,
    name: str | None = None,
) -> DoorAction | None:
    """The action this nonce already made, if it is the same one; ``NonceReused`` if not."""
    if not nonce:
        return None
    action = db.session.get(DoorAction, nonce, populate_existing=True)
    if action is None:
        return None
    if not _same_action(action, session_id, kind, booking_id, seats, name):
        raise NonceReused()
    return action


def _locked_unless_replayed(
    session_id: int, nonce: str | None, kind: str, **what: object
) -> tuple[EventSession | None, DoorAction | None]:
    """Lock the session, unless this action was already applied (then return it).

    The nonce is looked up before the lock (a retry costs no lock) and again under it
    (two copies of the same action racing each other).
    """
    earlier = _replayed(nonce, session_id, kind, **what)
    if earlier is not None:
        return None, earlier
    session = _locked(session_id)
    return session, _replayed(nonce, session_id, kind, **what)


def _record(nonce: str | None, session: EventSession, kind: str, **what: object) -> None:
    """Keep what ``nonce`` was used for, in the action's own transaction."""
    if nonce:
        db.session.add(DoorAction(nonce=nonce, session_id=session.id, kind=kind, **what))
    try:
        db.session.flush()
    except IntegrityError as error:
        # The same nonce, sent at the same instant for another session (whose lock is not
        # ours): one of the two is not what it claims to be.
        raise NonceReused() from error


def _first_check_in(booking: Booking) -> CheckIn | None:
    """The earliest check-in still standing for a booking."""
    return db.session.scalar(
        select(CheckIn)
        .where(CheckIn.booking_id == booking.id, CheckIn.undone_at.is_(None))
        .order_by(CheckIn.at, CheckIn.id)
    )


def _find(booking_id: int | None, ticket_code: str | None) -> Booking | None:
    """The booking a tap (by id) or a scan (by ticket code) is for, read afresh."""
    if booking_id is not None:
        return db.session.get(Booking, booking_id, populate_existing=True)
    code = normalise_code(ticket_code or "")
    return db.session.scalar(
        select(Booking).where(Booking.ticket_code == code).execution_options(populate_existing=True)
    )


@writes
def check_in(
    session_id: int,
    *,
    actor: str,
    booking_id: int | None = None,
    ticket_code: str | None = None,
    seats: int | None = None,
    nonce: str | None = None,
    now: datetime | None = None,
) -> CheckIn:
    """Let a party (or some of its seats) in, by booking id (a tap) or ticket code (a scan).

    The same ``nonce`` sent again for the same party and seats returns the first check-in;
    sent for anything else it raises ``NonceReused`` and changes nothing.
    """
    now = now or utcnow()
    target = _find(booking_id, ticket_code) if nonce else None
    what = {"booking_id": target.id if target else None, "seats": seats}
    session, earlier = _locked_unless_replayed(session_id, nonce, "check_in", **what)
    if earlier is not None:
        return earlier.check_in
    _door_open(session)
    booking = _find(booking_id, ticket_code)
    if booking is None:
        raise UnknownTicket()
    if booking.session_id != session.id:
        raise WrongSession(booking)
    entry = _let_in(session, booking, seats, actor, now, nonce)
    _record(nonce, session, "check_in", booking_id=booking.id, seats=seats, check_in=entry)
    return entry


def _let_in(
    session: EventSession,
    booking: Booking,
    seats: int | None,
    actor: str,
    now: datetime,
    nonce: str | None,
) -> CheckIn:
    """Check ``seats`` of a party of this (locked, open) session in, or raise why not."""
    if booking.status in (BookingStatus.CANCELLED, BookingStatus.EXPIRED, BookingStatus.WAITING):
        raise NotAdmissible(booking.status)
    if booking.status is BookingStatus.RELEASED:
        wanted = seats or booking.seats
        if not 1 <= wanted <= booking.seats:
            raise BadSeatCount(booking.seats)
        if wanted > session.seats_free:
            raise NoSeatsAtDoor(session.seats_free)
        ledger.take_seats(session, wanted)
        booking.seats, booking.status = wanted, BookingStatus.CONFIRMED
        audit("checkin.readmitted", actor, booking, seats=wanted)
    elif booking.status is BookingStatus.OFFERED:
        booking.status = BookingStatus.CONFIRMED  # came to the door with an open offer: it holds
    remaining = booking.seats - booking.checked_in_seats
    if remaining <= 0:
        first = _first_check_in(booking)
        raise AlreadyCheckedIn(
            first.at if first else now, first.by if first else "?", booking.checked_in_seats
        )
    count = seats or remaining
    if not 1 <= count <= remaining:
        raise BadSeatCount(remaining)
    entry = CheckIn(
        booking=booking, session_id=session.id, seats=count, at=now, by=actor, nonce=nonce
    )
    booking.checked_in_seats += count
    db.session.add(entry)
    db.session.flush()
    ledger.bump_change_counter()
    audit("checkin.in", actor, booking, seats=count)
    return entry


@writes
def undo(check_in_id: int, *, actor: str, now: datetime | None = None) -> CheckIn:
    """Take back a check-in (a wrong tap). Undoing a walk-in gives its seats back."""
    now = now or utcnow()
    entry = db.session.get(CheckIn, check_in_id)
    if entry is None:
        raise UnknownTicket()
    session = _locked(entry.session_id)
    db.session.refresh(entry)
    if entry.undone_at is not None:
        raise NothingToUndo()
    booking = db.session.get(Booking, entry.booking_id, populate_existing=True)
    entry.undone_at, entry.undone_by = now, actor
    booking.checked_in_seats -= entry.seats
    freed = (
        booking.source == "walkin"
        and booking.checked_in_seats == 0
        and booking.status is BookingStatus.CONFIRMED
    )
    if freed:
        booking.status, booking.ended_reason, booking.cancelled_at = (
            BookingStatus.CANCELLED,
            "cancelled",
            now,
        )
        ledger.release_seats(session, booking.seats)
    db.session.flush()
    ledger.bump_change_counter()
    audit("checkin.undone", actor, booking, seats=entry.seats)
    if freed and session.cancelled_at is None:
        give_freed_seats(session, actor=actor, now=now)
    return entry


def _walk_in_booking(
    session: EventSession, seats: int, name: str, actor: str, now: datetime
) -> Booking:
    """A booking for people who came without one, already holding its seats."""
    ledger.take_seats(session, seats)
    booking = Booking(
        session=session,
        token=new_token(),
        ticket_code=new_ticket_code(),
        name=name.strip() or gettext("Sans réservation"),
        email="",
        seats=seats,
        status=BookingStatus.CONFIRMED,
        source="walkin",
        created_at=now,
    )
    db.session.add(booking)
    db.session.flush()
    return booking


def _standby_seats(session_id: int) -> int:
    """Seats asked for by the people waiting at the door."""
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(StandbyEntry.seats), 0)).where(
                StandbyEntry.session_id == session_id,
                StandbyEntry.status == StandbyStatus.WAITING,
            )
        )
        or 0
    )


@writes
def walk_in(
    session_id: int,
    seats: int,
    name: str = "",
    *,
    actor: str,
    nonce: str | None = None,
    now: datetime | None = None,
) -> CheckIn:
    """Register and let in people without a booking, while seats are free.

    Raises ``StandbyFirst`` while anybody waits on the door's standby queue: they came
    first. The new party is then added to that queue (``add_standby``), which lets it in
    at once if its turn has come.
    """
    now = now or utcnow()
    session, earlier = _locked_unless_replayed(session_id, nonce, "walk_in", seats=seats, name=name)
    if earlier is not None:
        return earlier.check_in
    _door_open(session)
    if not 1 <= seats <= max(session.capacity, 1):
        raise BadSeatCount(session.capacity)
    if waiting := _standby_seats(session.id):
        raise StandbyFirst(waiting)
    if not door_may_take_seats(session, now):
        raise WaitingListFirst()
    if seats > session.seats_free:
        raise NoSeatsAtDoor(session.seats_free)
    booking = _walk_in_booking(session, seats, name, actor, now)
    audit("checkin.walk_in", actor, booking, seats=seats)
    entry = _let_in(session, booking, None, actor, now, nonce)
    _record(nonce, session, "walk_in", booking_id=booking.id, seats=seats, check_in=entry)
    return entry


@writes
def add_standby(
    session_id: int,
    seats: int,
    name: str = "",
    *,
    actor: str,
    nonce: str | None = None,
    now: datetime | None = None,
) -> StandbyEntry:
    """Put people on the door's standby queue; they are let in at once if seats are free."""
    now = now or utcnow()
    session, earlier = _locked_unless_replayed(session_id, nonce, "standby", seats=seats, name=name)
    if earlier is not None:
        return earlier.standby_entry
    _door_open(session)
    if not 1 <= seats <= max(session.capacity, 1):
        raise BadSeatCount(session.capacity)
    entry = StandbyEntry(
        session_id=session.id,
        name=name.strip(),
        seats=seats,
        added_by=actor,
        arrived_at=now,
        nonce=nonce,
    )
    db.session.add(entry)
    _record(nonce, session, "standby", seats=seats, standby_entry=entry)
    audit("standby.added", actor, session_id=session.id, seats=seats)
    admit_standby(session, actor=actor, now=now)
    return entry


def standby_queue(session_id: int) -> list[StandbyEntry]:
    """People waiting at the door, in order of arrival."""
    return list(
        db.session.scalars(
            select(StandbyEntry)
            .where(
                StandbyEntry.session_id == session_id, StandbyEntry.status == StandbyStatus.WAITING
            )
            .order_by(StandbyEntry.arrived_at, StandbyEntry.id)
            .execution_options(populate_existing=True)
        )
    )


def admit_standby(session: EventSession, *, actor: str, now: datetime) -> list[StandbyEntry]:
    """Give free seats to the standby queue in order of arrival (the first that fits)."""
    admitted: list[StandbyEntry] = []
    if session.cancelled_at is not None or not door_may_take_seats(session, now):
        return admitted
    for entry in standby_queue(session.id):
        if session.seats_free <= 0:
            break
        if entry.seats > session.seats_free:
            continue
        booking = _walk_in_booking(session, entry.seats, entry.name, actor, now)
        db.session.add(
            CheckIn(booking=booking, session_id=session.id, seats=entry.seats, at=now, by=actor)
        )
        booking.checked_in_seats = entry.seats
        entry.status, entry.booking_id = StandbyStatus.ADMITTED, booking.id
        audit("standby.admitted", actor, booking, seats=entry.seats)
        admitted.append(entry)
    db.session.flush()
    return admitted


@writes
def leave_standby(entry_id: int, *, actor: str) -> StandbyEntry:
    """Someone on the standby queue gave up and left."""
    entry = db.session.get(StandbyEntry, entry_id)
    if entry is None:
        raise UnknownTicket()
    _locked(entry.session_id)
    db.session.refresh(entry)
    if entry.status is StandbyStatus.WAITING:
        entry.status = StandbyStatus.GONE
        audit("standby.left", actor, session_id=entry.session_id, seats=entry.seats)
    return entry


@writes
def release_no_shows(session_id: int, *, actor: str, now: datetime | None = None) -> int:
    """Free the seats of parties nobody of which has arrived; pass them on (``give_freed_seats``).

    Only from ``DOOR_RELEASE_MINUTES`` before the start. A released party that turns up
    later is still let in if seats remain (see ``check_in``). Returns the seats freed.
    """
    now = now or utcnow()
    session = _locked(session_id)
    if now < release_opens_at(session):
        raise ReleaseTooEarly(release_opens_at(session))
    absent = db.session.scalars(
        select(Booking)
        .where(
            Booking.session_id == session_id,
            Booking.status == BookingStatus.CONFIRMED,
            Booking.checked_in_seats == 0,
        )
        .execution_options(populate_existing=True)
    ).all()
    freed = 0
    for booking in absent:
        booking.status = BookingStatus.RELEASED
        ledger.release_seats(session, booking.seats)
        freed += booking.seats
    db.session.flush()
    audit("checkin.released", actor, session_id=session_id, parties=len(absent), seats=freed)
    give_freed_seats(session, actor=actor, now=now)
    return freed
