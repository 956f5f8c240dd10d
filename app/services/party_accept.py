"""Accepting an offer made to a party: confirm it there, move it, or give it more seats.

The rules are those of ``waiting_party`` (its docstring): the lead takes what its offered
row holds, that row ends (``merged``), every other live row of the party is withdrawn
(``placed_elsewhere``), and the lists of the sessions it leaves run in the same
transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from ..database import writing
from ..extensions import db
from ..models import Booking, BookingStatus, EventSession
from ..timeutil import utcnow
from . import ledger, mail
from .audit import audit
from .booking_errors import BookingNotFound, ChangeNoLongerPossible, NoOfferPending, OfferExpired
from .party_endings import run_lists, withdraw
from .waiting_party import lead_of, lock_lead, lock_party_sessions, offered_row, pinned


def _booking_by_token(token: str) -> Booking:
    """The booking behind a token, or ``BookingNotFound``."""
    booking = db.session.scalar(select(Booking).where(Booking.token == token))
    if booking is None:
        raise BookingNotFound()
    return booking


def _merge(lead: Booking, row: Booking, sessions: dict[int, EventSession], now: datetime) -> int:
    """Apply the change row's wish to the lead; the row ends. Returns the lead's old session.

    The seats the row's offer holds become the lead's (no ledger change on the row's
    session); a confirmed lead moving frees its old seats, a waiting one its old place.
    """
    source_id = lead.session_id
    moving = row.session_id != source_id
    if lead.status is BookingStatus.CONFIRMED:
        if moving and lead.checked_in_seats:
            raise ChangeNoLongerPossible(lead.checked_in_seats)
        if moving and now >= sessions[source_id].starts_at:
            raise ChangeNoLongerPossible()
        if moving:
            ledger.release_seats(sessions[source_id], lead.seats)
            lead.seats = row.seats
            lead.reminder_sent_at = None
        else:
            lead.seats += row.seats
    elif lead.status is BookingStatus.WAITING:
        ledger.add_waiting(sessions[source_id], -lead.seats)
        lead.seats = row.seats
        lead.status = BookingStatus.CONFIRMED
        lead.offered_at, lead.offer_expires_at = row.offered_at, row.offer_expires_at
    else:  # an ended lead's rows end with it: only a broken database gets here
        raise NoOfferPending()
    lead.session_id = row.session_id
    row.status = BookingStatus.CANCELLED
    row.ended_reason = "merged"
    row.cancelled_at = now
    db.session.flush()
    db.session.expire(lead, ["session"])
    return source_id


def accept(
    token: str, *, offer_id: int | None = None, actor: str = "public", now: datetime | None = None
) -> Booking:
    """Accept the party's open offer; return the lead, now confirmed where the offer was.

    ``token`` is the lead's (a change row's own token works too). ``offer_id`` pins the
    offer the visitor saw (the row's id): another offer made since is not accepted in its
    place. Raises ``NoOfferPending``, ``OfferExpired`` or ``ChangeNoLongerPossible``.
    """
    now = now or utcnow()
    lead = lead_of(_booking_by_token(token))
    with writing():
        sessions = lock_party_sessions(lead)
        lock_lead(lead.id)
        db.session.refresh(lead)
        offer = pinned(offered_row(lead), offer_id, lead)
        if offer is None:
            raise NoOfferPending()
        if offer.offer_expires_at is not None and offer.offer_expires_at <= now:
            raise OfferExpired()
        touched: set[int] = set()
        if offer.id == lead.id:
            lead.status = BookingStatus.CONFIRMED
            audit("waitlist.accepted", actor, lead, seats=lead.seats)
        else:
            audit("waitlist.accepted", actor, offer, seats=offer.seats, lead=lead.id)
            source_id = _merge(lead, offer, sessions, now)
            if source_id != lead.session_id:
                touched.add(source_id)
            audit(
                "waitlist.merged",
                actor,
                lead,
                seats=lead.seats,
                source=source_id,
                target=lead.session_id,
                change=offer.id,
            )
        touched |= withdraw(lead, "placed_elsewhere", actor=actor, now=now)
        mail.enqueue("confirmed", lead)
        run_lists(touched, actor=actor, now=now)
        return lead
