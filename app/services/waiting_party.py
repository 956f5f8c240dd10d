"""One party, several rows: a lead booking and the change rows that wait on its behalf.

A change row (``Booking.changes_booking_id`` = the lead's id) sits in its own session's
waiting list like any other party. It stands for one of three wishes of the lead:

1. a waiting lead also waits on another session (the same party, one row per session, all
   with the lead's arrival time, so its place is fair everywhere);
2. a confirmed lead waits to move to another session, keeping its seats meanwhile;
3. a confirmed lead waits for extra seats on its own session.

Accepting an offer made to a change row applies the wish to the lead (it moves, grows or
is confirmed there) and ends the row (``merged``); every other live row of the party is
withdrawn (``placed_elsewhere``). The rules that keep one party fair to the others:

* a party holds at most one open offer: ``promote`` skips a row whose party holds one,
  without counting it as passed over and without holding seats for it (``claim``);
* the lead's row is locked before a party's row gets an offer, or an offer is accepted,
  so two sessions cannot both offer to one party at once. The lock order of every writer
  is: session rows in id order, then booking rows. ``promote`` runs while other sessions
  may be locked after it, so it never waits for a lead's lock: a party being changed by
  another transaction right now is skipped like a party holding an offer;
* a lead that leaves its own session's list while still waiting elsewhere (its offer there
  declined or lapsed, its party too large) takes over its first change row (``hand_over``):
  the visitor keeps one booking, one link, one ticket code;
* a lead that ends (cancelled, erased) ends its change rows (``lead_ended``), and so does
  a confirmed lead released at its door as a no-show (``lead_released``);
* a party some of whose people are in at its door (checked in, or let in from the door's
  queue) waits for nothing more (``lead_admitted``), nor does a confirmed party whose
  session has started (``lead_started``, ended by ``waitlist.end_spent_wishes``): a move
  is refused from then, and what it waited for is the door's to give. Until its rows end,
  ``promote`` offers them nothing (``OfferGate``);
* a lead made smaller keeps its lists and its move at its new size, its places kept; its
  wish for extra seats ends (``party_endings.after_reduction``).

This module reads, locks, gates offers and adds rows; how rows end is in party_endings.py,
accepting an offer in party_accept.py. The visitor only ever uses the lead's token: pages
and mails about a change row point to the lead's booking page. Every function runs in the
caller's unit of work.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select

from ..database import in_unit_of_work
from ..extensions import db
from ..models import Booking, BookingStatus, EventSession
from . import ledger
from .audit import audit
from .booking_errors import BookingNotFound, PartyHoldsOffer, SessionNotFound
from .booking_keys import new_ticket_code, new_token
from .programme import BOOKABLE, Availability, availability

# What a change row is while alive; it then ends (CANCELLED with a reason, or EXPIRED).
LIVE_CHANGE_STATUSES = (BookingStatus.WAITING, BookingStatus.OFFERED)
ACTIVE = (BookingStatus.CONFIRMED, BookingStatus.WAITING, BookingStatus.OFFERED)
# The sessions a waiting party may also wait on: those still taking bookings.
WAITABLE = (*BOOKABLE, Availability.FULL)


# --------------------------------------------------------------------------- reading


def party_key(booking: Booking) -> int:
    """The id of the party a row belongs to: its lead's."""
    return booking.changes_booking_id or booking.id


def lead_of(booking: Booking) -> Booking:
    """The lead of a change row; a lead (or any other booking) is its own."""
    if booking.changes_booking_id is None:
        return booking
    lead = db.session.get(Booking, booking.changes_booking_id)
    if lead is None:  # a foreign key: only a broken database gets here
        raise BookingNotFound()
    return lead


def party_rows(lead: Booking) -> list[Booking]:
    """The lead's live change rows (waiting or offered), by their session's start."""
    rows = db.session.scalars(
        select(Booking)
        .where(Booking.changes_booking_id == lead.id, Booking.status.in_(LIVE_CHANGE_STATUSES))
        .execution_options(populate_existing=True)
    ).all()
    return sorted(rows, key=lambda row: (row.session.starts_at, row.id))


def all_change_rows(lead: Booking) -> list[Booking]:
    """Every change row the lead ever had, ended or not."""
    return list(db.session.scalars(select(Booking).where(Booking.changes_booking_id == lead.id)))


def offered_row(lead: Booking) -> Booking | None:
    """The party's open offer, on the lead or on one of its change rows (at most one)."""
    return db.session.scalars(
        select(Booking)
        .where(
            or_(Booking.id == lead.id, Booking.changes_booking_id == lead.id),
            Booking.status == BookingStatus.OFFERED,
        )
        .order_by(Booking.id)
        .execution_options(populate_existing=True)
    ).first()


def pinned(offer: Booking | None, offer_id: int | None, lead: Booking) -> Booking | None:
    """The party's open offer if it is the one the visitor saw (``offer_id``), else None.

    A pinned change row may have been taken over by its lead since (``hand_over``): the
    lead's offer on that session is then the same offer.
    """
    if offer is None or offer_id is None or offer.id == offer_id:
        return offer
    seen = db.session.get(Booking, offer_id)
    if (
        offer.id == lead.id
        and seen is not None
        and seen.changes_booking_id == lead.id
        and seen.ended_reason == "merged"
        and seen.session_id == offer.session_id
    ):
        return offer
    return None


def party_session_ids(lead_ids: Iterable[int]) -> set[int]:
    """The sessions where these parties have a live row."""
    ids = list(set(lead_ids))
    if not ids:
        return set()
    return set(
        db.session.scalars(
            select(Booking.session_id).where(
                or_(Booking.id.in_(ids), Booking.changes_booking_id.in_(ids)),
                Booking.status.in_(ACTIVE),
            )
        )
    )


def also_choices(session: EventSession, now: datetime | None = None) -> list[EventSession]:
    """The event's other sessions a party joining ``session``'s list may wait on as well.

    Those still taking bookings (with seats or full), in date order. Read only when the
    session itself is full: that is when its form offers them.
    """
    if availability(session, now) is not Availability.FULL:
        return []
    others = db.session.scalars(
        select(EventSession)
        .where(
            EventSession.event_id == session.event_id,
            EventSession.id != session.id,
            EventSession.cancelled_at.is_(None),
        )
        .order_by(EventSession.starts_at, EventSession.id)
    ).all()
    return [s for s in others if availability(s, now) in WAITABLE]


@dataclass(frozen=True)
class Position:
    """One place of a party on a waiting list, as its booking page shows it."""

    row: Booking
    # "own": the waiting lead's own place; "also": another session it waits on;
    # "move": where a confirmed lead waits to move; "grow": its extra seats.
    wish: str
    place: int | None  # 1 at the head of the list; None while it holds an offer

    @property
    def pin(self) -> int | None:
        """What the accept and decline forms name: the change row (None for the lead)."""
        return self.row.id if self.row.changes_booking_id else None


def positions(lead: Booking) -> list[Position]:
    """The party's places on waiting lists (none for a booking without change rows)."""
    from .waitlist import position

    rows = party_rows(lead)
    if not rows:
        return []
    found = []
    if lead.status in LIVE_CHANGE_STATUSES:
        found.append((lead, "own"))
    for row in rows:
        if lead.status is not BookingStatus.CONFIRMED:
            found.append((row, "also"))
        else:
            found.append((row, "grow" if row.session_id == lead.session_id else "move"))
    found.sort(key=lambda pair: (pair[0].session.starts_at, pair[0].id))
    return [
        Position(row, wish, position(row) if row.status is BookingStatus.WAITING else None)
        for row, wish in found
    ]


# --------------------------------------------------------------------------- locking


def lock_sessions(session_ids: Iterable[int]) -> dict[int, EventSession]:
    """Lock sessions in id order (every writer's order); ``SessionNotFound`` for a missing one."""
    locked: dict[int, EventSession] = {}
    for session_id in sorted(set(session_ids)):
        session = ledger.lock_session(session_id)
        if session is None:
            raise SessionNotFound(session_id)
        locked[session_id] = session
    return locked


def party_session_ids_on(session_id: int) -> set[int]:
    """The sessions where the parties with a live row on ``session_id`` have one."""
    keys = db.session.scalars(
        select(func.coalesce(Booking.changes_booking_id, Booking.id)).where(
            Booking.session_id == session_id, Booking.status.in_(ACTIVE)
        )
    ).all()
    return party_session_ids(keys) | {session_id}


def lock_sessions_present(
    session_ids: Iterable[int], *, skip_locked: bool = False
) -> dict[int, EventSession]:
    """Lock sessions in id order, leaving out any deleted meanwhile.

    ``skip_locked`` leaves out as well those another transaction holds right now, without
    waiting: for a writer already holding a session's lock that must touch more (out of id
    order), a lock taken without waiting closes no cycle with a writer that waits for ours,
    so no deadlock. The sessions left out are the caller's to leave.
    """
    locked: dict[int, EventSession] = {}
    for session_id in sorted(set(session_ids)):
        session = ledger.lock_session(session_id, skip_locked=skip_locked)
        if session is not None:
            locked[session_id] = session
    return locked


def lock_party_sessions(booking: Booking) -> dict[int, EventSession]:
    """Lock the booking's session and every session where its party has a live row."""
    key = party_key(booking)
    return lock_sessions({booking.session_id, *party_session_ids([key])})


def lock_lead(lead_id: int, *, skip_locked: bool = False) -> bool:
    """Lock the lead's row (PostgreSQL; SQLite's write lock covers it). False if skipped.

    ``skip_locked``: for ``promote``, which must not wait (see the module docstring).
    """
    row = db.session.execute(
        select(Booking.id)
        .where(Booking.id == lead_id)
        .with_for_update(skip_locked=skip_locked, of=Booking)
    ).first()
    return row is not None


# --------------------------------------------------------------------------- offers


def is_spent(lead: Booking, now: datetime) -> bool:
    """Whether a lead's change rows can no longer be applied: its party is in, or its
    (confirmed) session has started. They end then (``party_endings.after_admission``,
    ``waitlist.end_spent_wishes``)."""
    return lead.status is BookingStatus.CONFIRMED and (
        lead.checked_in_seats > 0 or now >= lead.session.starts_at
    )


class OfferGate:
    """What ``promote`` asks before offering to a party: does it already hold an offer?

    Built once per pass from one query over the parties of the waiting list, so a list of
    single-session parties costs that one query. A party with several rows is checked
    again under its lead's lock just before the offer.
    """

    def __init__(self, parties: list[Booking], now: datetime) -> None:
        keys = {party_key(party) for party in parties}
        self.busy: set[int] = set()
        self.shared: set[int] = {party_key(p) for p in parties if p.changes_booking_id}
        alive: set[int] = set()
        rows = (
            db.session.execute(
                select(
                    Booking.id,
                    Booking.changes_booking_id,
                    Booking.status,
                    Booking.checked_in_seats,
                    EventSession.starts_at,
                )
                .join(EventSession, EventSession.id == Booking.session_id)
                .where(
                    or_(Booking.id.in_(keys), Booking.changes_booking_id.in_(keys)),
                    Booking.status.in_(ACTIVE),
                )
            ).all()
            if keys
            else []
        )
        for row_id, changes, status, checked_in, starts_at in rows:
            key = changes or row_id
            if changes:
                self.shared.add(key)
            elif status is not BookingStatus.CONFIRMED or not (checked_in or starts_at <= now):
                alive.add(key)
            if status is BookingStatus.OFFERED:
                self.busy.add(key)
        # A change row whose lead no longer holds nor awaits seats (its party did not come
        # to its session), or whose party is in or its session under way (``is_spent``),
        # can never be accepted: no offer, and no seats held for it.
        self.busy |= keys - alive

    def holds_offer(self, party: Booking) -> bool:
        """Whether the party already holds an offer somewhere (as this pass knows)."""
        return party_key(party) in self.busy

    def claim(self, party: Booking) -> bool:
        """Whether ``party`` may get an offer now; the caller then makes it at once.

        A party with several rows is checked again under its lead's lock: another session
        may have offered to it since this pass read the list.
        """
        key = party_key(party)
        if key in self.busy:
            return False
        if key in self.shared:
            if not lock_lead(key, skip_locked=True):
                return False
            fresh = db.session.scalar(
                select(Booking.id)
                .where(
                    or_(Booking.id == key, Booking.changes_booking_id == key),
                    Booking.status == BookingStatus.OFFERED,
                )
                .limit(1)
            )
            if fresh is not None:
                self.busy.add(key)
                return False
        self.busy.add(key)
        return True


def ensure_no_other_offer(party: Booking) -> None:
    """Refuse an offer (made by hand) to a party that holds one on another session."""
    key = party_key(party)
    lock_lead(key)
    other = db.session.scalar(
        select(Booking.id)
        .where(
            or_(Booking.id == key, Booking.changes_booking_id == key),
            Booking.status == BookingStatus.OFFERED,
            Booking.id != party.id,
        )
        .limit(1)
    )
    if other is not None:
        raise PartyHoldsOffer()


# --------------------------------------------------------------------------- joining


def join_for_change(
    lead: Booking, session: EventSession, seats: int, *, actor: str, now: datetime
) -> Booking:
    """A waiting change row of ``lead`` on ``session`` for ``seats`` seats (audited).

    The caller is in the unit of work and holds the locks of the lead's session and of
    ``session`` (in id order) and has checked the rules of the wish (same event, open,
    party-size caps). A waiting lead's rows keep its arrival time: the party is as early
    on every list; a confirmed lead's wish arrives now. The list then runs at once: the
    row may get an offer straight away.
    """
    if not in_unit_of_work():
        raise RuntimeError("join_for_change() outside writing(): enter the unit of work first")
    waiting_lead = lead.status in (BookingStatus.WAITING, BookingStatus.OFFERED)
    row = Booking(
        session=session,
        token=new_token(),
        ticket_code=new_ticket_code(),
        name=lead.name,
        email=lead.email,
        phone=lead.phone,
        seats=seats,
        status=BookingStatus.WAITING,
        accessibility_needs=lead.accessibility_needs,
        locale=lead.locale,
        source=lead.source,
        changes_booking_id=lead.id,
        created_at=lead.created_at if waiting_lead else now,
    )
    db.session.add(row)
    ledger.add_waiting(session, seats)
    db.session.flush()
    audit(
        "waitlist.joined_for_change",
        actor,
        row,
        seats=seats,
        lead=lead.id,
        lead_session=lead.session_id,
    )
    from .checkin import give_freed_seats  # the door builds on the waiting list

    give_freed_seats(session, actor=actor, now=now)
    return row
