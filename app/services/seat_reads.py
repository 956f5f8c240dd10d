"""Reading seats for display: every page, the API, the live poll and the door read here.

The rule: an offer whose deadline has passed is processed (``waitlist.expire_due``: the
party is told, its seats go to the next party or the door) before anything shows seats,
so no reader ever sees seats held by an offer that nobody can accept any more.
``flask process-waitlist`` (cron) does the same for sessions nobody looks at.

Each function here is the plain read it names, preceded by that processing (``settle``).
The check is one indexed query, folded into the session's own query where a page reads
one session; only when an offer lapsed does a read pay for a write, committed at once so
that the page shows the outcome and no lock waits for the render.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import Row, Select, and_, bindparam, exists, func, select
from sqlalchemy.orm import aliased, lazyload

from ..database import commit_now
from ..extensions import db
from ..models import Booking, BookingStatus, EventKind, EventSession, Specimen
from ..timeutil import utcnow
from . import booking as booking_service
from . import dashboard, door_day, gallery, ledger, programme, waitlist
from .booking_errors import SessionNotFound
from .booking_request import NonceLookup

# Built once: the check runs before every read that shows seats, and building a statement
# costs more than running this one on its index.
_LAPSED = and_(
    Booking.status == BookingStatus.OFFERED, Booking.offer_expires_at <= bindparam("now")
)
_ANY_LAPSED_OFFER = select(Booking.id).where(_LAPSED).limit(1)
_LAPSED_OFFER_IN_SESSION = _ANY_LAPSED_OFFER.where(Booking.session_id == bindparam("session_id"))

_SESSION_AND_LAPSED_OFFERS = select(
    EventSession,
    exists().where(Booking.session_id == EventSession.id, _LAPSED).label("offers_lapsed"),
).where(EventSession.id == bindparam("session_id"))
# The public session page: the event and venue load on first use, as the page has them in
# its cached parts.
_PAGE_SESSION = _SESSION_AND_LAPSED_OFFERS.options(lazyload(EventSession.event))
# A booking POST: the same row, with the booking its form's nonce already made (if any).
# Every booking POST needs both, a refusal nothing else: one round trip instead of two.
_BY_NONCE = aliased(Booking, name="by_nonce")
_PAGE_SESSION_AND_NONCE = _PAGE_SESSION.add_columns(
    _BY_NONCE.id.label("nonce_booking_id"), _BY_NONCE.session_id.label("nonce_session_id")
).outerjoin(_BY_NONCE, _BY_NONCE.request_nonce == bindparam("nonce"))

_NEXT_DEADLINE = select(func.min(Booking.offer_expires_at)).where(
    Booking.status == BookingStatus.OFFERED
)
_DEADLINE_KEY = "minerales_next_offer_deadline"


def settle(session_id: int | None = None) -> None:
    """Process the lapsed offers of one session (or of all) before seats are read."""
    if session_id is None:
        _settle_all()
        return
    lapsed = db.session.execute(
        _LAPSED_OFFER_IN_SESSION, {"now": utcnow(), "session_id": session_id}
    )
    if lapsed.first() is not None:
        _process(session_id)


def _settle_all() -> None:
    """Every session's lapsed offers, asked about once per change of the live counter.

    The live poll of every open page comes here, mostly to answer 304 from the counter
    this worker keeps (``ledger.change_counter``), without a query. So does this: it keeps
    the earliest deadline of the open offers, as of a counter value; every new offer moves
    the counter, so until the counter moves or that deadline passes, no offer can have
    lapsed.
    """
    counter = ledger.change_counter()
    known = current_app.extensions.setdefault(_DEADLINE_KEY, {})
    now = utcnow()
    if known.get("counter") == counter and (known["next"] is None or now < known["next"]):
        return
    next_deadline = db.session.scalar(_NEXT_DEADLINE)
    if next_deadline is not None and next_deadline <= now:
        _process(None)  # the counter moves with it: asked again next time
        return
    known.update(counter=counter, next=next_deadline)


def _process(session_id: int | None) -> None:
    """Expire what lapsed and commit, so the page shows the outcome without holding a lock."""
    waitlist.expire_due(session_id=session_id)
    commit_now()


def _session_row(
    session_id: int, statement: Select[Any] = _SESSION_AND_LAPSED_OFFERS, **params: Any
) -> tuple[EventSession, Row[Any]]:
    """The session, settled, and the row it came in (one query when nothing lapsed)."""
    row = db.session.execute(
        statement, {"now": utcnow(), "session_id": session_id, **params}
    ).first()
    if row is None:
        raise SessionNotFound(session_id)
    if not row.offers_lapsed:
        return row[0], row
    _process(session_id)
    return programme.get_session(session_id), row


def session(session_id: int) -> EventSession:
    """One session, as shown now. Raises ``SessionNotFound``."""
    return _session_row(session_id)[0]


def page_session(
    session_id: int, nonce: str | None = None
) -> tuple[EventSession, NonceLookup | None]:
    """One session, as shown now, for its public page (whose shared parts show its event).

    With a booking form's ``nonce``, also what that nonce already booked, read in the same
    query (``BookingRequest.nonce_lookup``). Raises ``SessionNotFound``.
    """
    if not nonce:
        return _session_row(session_id, _PAGE_SESSION)[0], None
    found, row = _session_row(session_id, _PAGE_SESSION_AND_NONCE, nonce=nonce)
    return found, NonceLookup(nonce, row.nonce_booking_id, row.nonce_session_id)


def sessions(
    kind: EventKind | None = None, event_id: int | None = None, *, upcoming: bool = False
) -> list[EventSession]:
    """The programme's sessions as shown now, past editions left out (``list_sessions``)."""
    settle()
    return programme.list_sessions(kind, event_id, upcoming=upcoming, public=True)


def upcoming_sessions(specimen: Specimen) -> list[EventSession]:
    """The sessions where a specimen can be seen, as shown now."""
    settle()
    return gallery.upcoming_sessions(specimen)


def booking(token: str) -> Booking:
    """The booking behind a token, its session's seats as shown now.

    Raises ``BookingNotFound`` or ``BookingErased``. When something lapsed, the commit
    reloads the booking on its next use, so it shows its own outcome too.
    """
    found = booking_service.get_by_token(token)
    settle(found.session_id)
    return found


def week_figures() -> dashboard.WeekFigures:
    """Every session's figures for the dashboard, as shown now."""
    settle()
    return dashboard.week_figures()


def door_sessions(day: date | None = None) -> door_day.DoorDay:
    """A day's sessions for the door, as shown now."""
    settle()
    return door_day.sessions_of(day)
