"""The waiting list: parties wait in order, freed seats are offered, offers expire.

The rule, in the order the public is told it (docs/waiting-list.md):

1. Parties wait in order of priority (organisers can raise one, with a reason), then of
   arrival. While anybody waits, the public joins the list instead of booking directly,
   so freed seats cannot be taken by someone who arrived later.
2. When seats free up, the first waiting party that fits in them gets an offer; the seats
   are held for it (they count in ``seats_taken``) until it accepts, declines or the
   offer expires. Several parties can get offers in one pass.
3. A party that does not fit is passed over; once it has been passed over
   ``WAITLIST_MAX_PASSES`` times, freed seats are held for it (nobody behind it gets an
   offer) until enough are free for the whole party. A party larger than the session's
   capacity could wait forever that way: when a capacity is lowered under a party, the
   party is told and leaves the list (``remove_too_large``), and ``promote`` never holds
   seats for such a party.
4. Offers last ``WAITLIST_OFFER_HOURS`` (24 h), less close to the session (half the time
   left before booking closes, but at least two hours or whatever is left), never past
   the close of booking. After that, seats go to the door. A lapsed offer is processed
   (``expire_due``) before anything shows seats (app/services/seat_reads.py) and by
   ``flask process-waitlist`` for the sessions nobody looks at.

Every function runs in the caller's transaction; the ones that change seats lock the
session row first (``ledger.lock_session``), like every other seat change.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased

from ..database import writing
from ..extensions import db
from ..models import Booking, BookingStatus, EventSession
from ..timeutil import utcnow
from . import ledger, mail, party_accept, party_endings, waiting_party
from .audit import audit
from .programme import default_close
from .waiting_party import join_for_change, party_rows

# The change rows' machinery lives beside; its two entry points are found here too.
__all__ = ["join_for_change", "party_rows"]

ACTIVE_STATUSES = (BookingStatus.CONFIRMED, BookingStatus.WAITING, BookingStatus.OFFERED)


def queue_order() -> tuple:
    """ORDER BY of the waiting list: priority first, then arrival."""
    return (Booking.priority.desc(), Booking.created_at, Booking.id)


def waiting_parties(session_id: int) -> list[Booking]:
    """The waiting parties of a session, in queue order."""
    return list(
        db.session.scalars(
            select(Booking)
            .where(Booking.session_id == session_id, Booking.status == BookingStatus.WAITING)
            .order_by(*queue_order())
            .execution_options(populate_existing=True)
        )
    )


def position(booking: Booking) -> int:
    """1 for the party at the head of the list, 2 for the next…"""
    ahead = db.session.scalar(
        select(func.count())
        .select_from(Booking)
        .where(
            Booking.session_id == booking.session_id,
            Booking.status == BookingStatus.WAITING,
            or_(
                Booking.priority > booking.priority,
                and_(
                    Booking.priority == booking.priority,
                    or_(
                        Booking.created_at < booking.created_at,
                        and_(Booking.created_at == booking.created_at, Booking.id < booking.id),
                    ),
                ),
            ),
        )
    )
    return int(ahead or 0) + 1


def offer_deadline(session: EventSession, now: datetime) -> datetime | None:
    """Until when an offer made ``now`` holds its seats; None once booking has closed."""
    closes_at = session.closes_at(default_close())
    remaining = closes_at - now
    if session.cancelled_at is not None or remaining <= timedelta(0):
        return None
    hold = timedelta(hours=float(current_app.config.get("WAITLIST_OFFER_HOURS", 24)))
    near = max(remaining / 2, min(remaining, timedelta(hours=2)))
    return now + min(hold, near, remaining)


def make_offer(
    party: Booking,
    session: EventSession,
    deadline: datetime,
    now: datetime,
    actor: str,
    *,
    gate_passed: bool = False,
) -> None:
    """Hold seats for a waiting party and tell it by e-mail.

    A party holds one offer at a time: unless ``promote``'s gate let it through already,
    an offer to a party holding one on another session is refused (``PartyHoldsOffer``).
    """
    if not gate_passed:
        waiting_party.ensure_no_other_offer(party)
    ledger.take_seats(session, party.seats)
    ledger.add_waiting(session, -party.seats)
    party.status = BookingStatus.OFFERED
    party.offered_at = now
    party.offer_expires_at = deadline
    audit("waitlist.offered", actor, party, seats=party.seats, expires_at=deadline.isoformat())
    mail.enqueue("offer", party)


def promote(
    session: EventSession, now: datetime | None = None, actor: str = "system"
) -> list[Booking]:
    """Offer the session's free seats to the waiting list (automatic events only).

    The caller holds the session's lock. Returns the parties that got an offer.
    """
    if not session.event.waitlist_auto or session.seats_waiting == 0:
        return []
    now = now or utcnow()
    deadline = offer_deadline(session, now)
    if deadline is None:
        return []
    max_passes = int(current_app.config.get("WAITLIST_MAX_PASSES", 2))
    free = session.seats_free
    if free <= 0:
        return []
    offered: list[Booking] = []
    skipped: list[Booking] = []
    parties = waiting_parties(session.id)
    gate = waiting_party.OfferGate(parties, now)
    for party in parties:
        if free <= 0:
            break
        if party.seats > session.capacity:
            # It can never fit: holding seats for it would stop the list for good.
            continue
        if gate.holds_offer(party):
            # It holds an offer on another session: it is not passed over for that, and no
            # seats wait for it here; once that offer ends, this list runs again.
            continue
        if party.seats <= free:
            if not gate.claim(party):
                continue
            make_offer(party, session, deadline, now, actor, gate_passed=True)
            free -= party.seats
            offered.append(party)
            for passed in skipped:
                passed.passed_over += 1
            skipped = []
        elif party.passed_over >= max_passes:
            break  # the free seats wait for this party
        else:
            skipped.append(party)
    return offered


def accept(
    token: str, *, offer_id: int | None = None, actor: str = "public", now: datetime | None = None
) -> Booking:
    """Confirm the seats the party's offer holds (``party_accept.accept``).

    Raises ``NoOfferPending`` or ``OfferExpired``.
    """
    return party_accept.accept(token, offer_id=offer_id, actor=actor, now=now)


def expire_due(now: datetime | None = None, session_id: int | None = None) -> int:
    """Expire lapsed offers, give their seats to the next parties; return how many expired.

    A party whose offer lapsed may wait on other sessions too: those lists run again (the
    party held an offer, so they skipped it), and a lead waiting elsewhere moves there
    (``party_endings.hand_over``). So every session concerned is locked first, in id order.
    """
    now = now or utcnow()
    stmt = select(Booking.session_id, Booking.changes_booking_id, Booking.id).where(
        Booking.status == BookingStatus.OFFERED, Booking.offer_expires_at <= now
    )
    if session_id is not None:
        stmt = stmt.where(Booking.session_id == session_id)
    found = db.session.execute(stmt).all()
    if not found:
        return 0
    session_ids = sorted({row.session_id for row in found})
    with writing():
        parties = {row.changes_booking_id or row.id for row in found}
        others = waiting_party.lock_sessions_present(
            {*session_ids, *waiting_party.party_session_ids(parties)}
        )
        expired = 0
        for locked_id in session_ids:
            session = others.get(locked_id)
            if session is None:  # deleted since the read above: nothing of it to expire
                continue
            lapsed = db.session.scalars(
                select(Booking)
                .where(
                    Booking.session_id == locked_id,
                    Booking.status == BookingStatus.OFFERED,
                    Booking.offer_expires_at <= now,
                )
                .execution_options(populate_existing=True)
            ).all()
            for booking in lapsed:
                booking.status = BookingStatus.EXPIRED
                booking.ended_reason = "expired"
                ledger.release_seats(session, booking.seats)
                audit("waitlist.expired", "system", booking, seats=booking.seats)
                mail.enqueue("offer_expired", booking, session_id=locked_id)
                if booking.changes_booking_id is None:
                    party_endings.hand_over(booking, actor="system", now=now)
                expired += 1
            db.session.flush()
        # The lists first, then the door (an offer lapsing at the close frees seats that
        # only the door can use).
        party_endings.run_lists(others, actor="system", now=now)
        return expired


def end_spent_wishes(now: datetime | None = None) -> int:
    """End the change rows of parties that are in, or whose session has started; how many.

    Such rows can no longer be applied (``waiting_party.is_spent``): ``promote`` offers
    them nothing, but they would count in their lists' waiting seats, keeping the public
    behind them, until those sessions pass. A confirmed party waits for nothing once its
    session has started (``lead_started``): a move out of it is refused, and more seats
    are the door's to give. The door ends a party's rows as it lets it in
    (``party_endings.after_admission``) but for a session another writer held at that
    instant (``lead_admitted``, here). ``flask process-waitlist`` runs this; every session
    concerned is locked first, in id order, and the rows read again under the locks, so a
    second run at once finds them ended.
    """
    now = now or utcnow()
    lead = aliased(Booking)
    found = db.session.scalars(
        select(lead.id)
        .distinct()
        .join(Booking, Booking.changes_booking_id == lead.id)
        .join(EventSession, EventSession.id == lead.session_id)
        .where(
            Booking.status.in_(waiting_party.LIVE_CHANGE_STATUSES),
            lead.status == BookingStatus.CONFIRMED,
            or_(lead.checked_in_seats > 0, EventSession.starts_at <= now),
        )
    ).all()
    if not found:
        return 0
    with writing():
        locked = waiting_party.lock_sessions_present(waiting_party.party_session_ids(found))
        touched: set[int] = set()
        ended = 0
        for lead_id in sorted(found):
            party = db.session.get(Booking, lead_id, populate_existing=True)
            if party is None or not waiting_party.is_spent(party, now):
                continue
            # A row joined on a session not locked above (a race) waits for the next run.
            rows = [row for row in party_rows(party) if row.session_id in locked]
            why = "lead_admitted" if party.checked_in_seats else "lead_started"
            touched |= party_endings.end_rows(party, rows, why, actor="system", now=now)
            ended += len(rows)
        party_endings.run_lists(touched, actor="system", now=now)
        return ended


def other_sessions_for(session: EventSession, seats: int, now: datetime) -> list[EventSession]:
    """The event's other sessions still open for booking that a party of ``seats`` fits."""
    closes = default_close()
    return [
        other
        for other in session.event.sessions
        if other.id != session.id
        and other.cancelled_at is None
        and other.capacity >= seats
        and other.closes_at(closes) > now
    ]


def remove_too_large(
    session: EventSession, *, actor: str, now: datetime | None = None
) -> list[Booking]:
    """Take the waiting parties larger than the session's capacity off its list.

    They could never get an offer. Each is told by e-mail, with the event's other sessions
    it would fit in. The caller holds the session's lock; returns the parties removed.
    """
    now = now or utcnow()
    parties = list(
        db.session.scalars(
            select(Booking)
            .where(
                Booking.session_id == session.id,
                Booking.status == BookingStatus.WAITING,
                Booking.seats > session.capacity,
            )
            .order_by(*queue_order())
            .execution_options(populate_existing=True)
        )
    )
    for party in parties:
        ledger.add_waiting(session, -party.seats)
        audit("waitlist.too_large", actor, party, seats=party.seats, capacity=session.capacity)
        others = {
            str(other.id): mail.public_url("public.session_detail", session_id=other.id)
            for other in other_sessions_for(session, party.seats, now)
        }
        mail.enqueue("waitlist_too_large", party, other_sessions=others, session_id=session.id)
        # A lead also waiting elsewhere goes on waiting there; any other party leaves.
        if party.changes_booking_id is None and party_endings.hand_over(
            party, actor=actor, now=now
        ):
            continue
        party.status = BookingStatus.CANCELLED
        party.ended_reason = "too_large"
        party.cancelled_at = now
    if parties:
        db.session.flush()
    return parties
