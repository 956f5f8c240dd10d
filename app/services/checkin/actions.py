"""A door action: the session locked, and the nonce that makes a retry harmless.

Every action from a tablet carries its own nonce, kept with what it was for
(``DoorAction``): a retry after a dropped connection returns the first result instead of
checking in twice, and the nonce sent for another party or action is refused.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...i18n import gettext
from ...models import CheckIn, DoorAction, EventSession
from .. import ledger
from ..booking_errors import SessionNotFound
from .errors import NonceReused, SessionCancelledAtDoor


def locked(session_id: int) -> EventSession:
    """Lock a session for a door action."""
    session = ledger.lock_session(session_id)
    if session is None:
        raise SessionNotFound(session_id)
    return session


def door_open(session: EventSession) -> None:
    """A cancelled session lets nobody in (its bookings are cancelled, its seats gone)."""
    if session.cancelled_at is not None:
        raise SessionCancelledAtDoor()


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
    if kind in ("check_in", "from_waitlist"):
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


def locked_unless_replayed(
    session_id: int,
    nonce: str | None,
    kind: str,
    *,
    booking_id: int | None = None,
    seats: int | None = None,
    name: str | None = None,
) -> EventSession | DoorAction:
    """The session, locked; or the action this nonce already made, if it was applied.

    The nonce is looked up before the lock (a retry costs no lock) and again under it
    (two copies of the same action racing each other).
    """
    earlier = _replayed(nonce, session_id, kind, booking_id=booking_id, seats=seats, name=name)
    if earlier is not None:
        return earlier
    session = locked(session_id)
    again = _replayed(nonce, session_id, kind, booking_id=booking_id, seats=seats, name=name)
    return session if again is None else again


def earlier_check_in(action: DoorAction) -> CheckIn:
    """The check-in a replayed check-in or walk-in made (they always make one)."""
    if action.check_in is None:
        raise NonceReused()
    return action.check_in


def record_action(nonce: str | None, session: EventSession, kind: str, **what: object) -> None:
    """Keep what ``nonce`` was used for, in the action's own transaction."""
    if nonce:
        db.session.add(DoorAction(nonce=nonce, session_id=session.id, kind=kind, **what))
    try:
        db.session.flush()
    except IntegrityError as error:
        # The same nonce, sent at the same instant for another session (whose lock is not
        # ours): one of the two is not what it claims to be.
        raise NonceReused() from error
