"""Small helpers for reading pages the way a browser would."""

from __future__ import annotations

from html.parser import HTMLParser


class _InputCollector(HTMLParser):
    """Collect ``name -> value`` of the inputs of one form on a page."""

    def __init__(self, action: str | None) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self._wanted = action
        self._inside = False
        self._done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Enter the wanted form; record its inputs."""
        values = dict(attrs)
        if tag == "form" and not self._done:
            self._inside = self._wanted is None or self._wanted in (values.get("action") or "")
        if tag == "input" and self._inside and values.get("name"):
            self.fields.setdefault(values["name"] or "", values.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        """Stop after the wanted form."""
        if tag == "form" and self._inside:
            self._inside = False
            self._done = True


def form_fields(html: str, action: str | None = None) -> dict[str, str]:
    """Input values of the first form (or the first whose action contains ``action``)."""
    parser = _InputCollector(action)
    parser.feed(html)
    return parser.fields


def demo_with_a_queue(app, runner) -> dict[str, object]:
    """The demo programme; an open session with a booking; a full one with an offer and a queue.

    Marie Curie's party of 2 is booked on the first session. On a later one, cut to 2 seats,
    Anne Bonny's booking is cancelled: its seats go to Lise Meitner's party of 2, first in
    the queue, as an offer; Ada Lovelace's party of 1 keeps waiting.
    """
    from app.extensions import db
    from app.models import Booking, BookingStatus, EventSession, Specimen
    from app.services import booking as booking_service

    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        sessions = db.session.scalars(
            db.select(EventSession).order_by(EventSession.starts_at, EventSession.id)
        ).all()
        open_session = sessions[0]
        full = next(s for s in sessions[1:] if s.capacity >= 2)
        full.capacity = 2
        db.session.commit()

        def party(session_id: int, name: str, seats: int, waiting: bool = False) -> Booking:
            request = booking_service.BookingRequest(
                session_id, name, f"{name.split()[0].lower()}@example.fr", seats
            )
            if waiting:
                return booking_service.join_waitlist(request)
            return booking_service.book(request)

        confirmed = party(open_session.id, "Marie Curie", 2)
        first = party(full.id, "Anne Bonny", 2)
        offered = party(full.id, "Lise Meitner", 2, waiting=True)
        waiting = party(full.id, "Ada Lovelace", 1, waiting=True)
        db.session.commit()
        booking_service.cancel(first.token)
        db.session.commit()
        assert db.session.get(Booking, offered.id).status is BookingStatus.OFFERED
        assert db.session.get(Booking, waiting.id).status is BookingStatus.WAITING
        return {
            "open": open_session.id,
            "full": full.id,
            "event": open_session.event_id,
            "booking": confirmed.id,
            "token": confirmed.token,
            "offer_token": offered.token,
            "waiting_token": waiting.token,
            "specimen": db.session.scalars(db.select(Specimen.id).order_by(Specimen.id)).first(),
        }


def leave_one_seat(app, session_id: int, others: int = 1) -> None:
    """Someone else books ``others`` seats, then the capacity is cut to one free seat."""
    from app.extensions import db
    from app.models import EventSession
    from app.services import booking as booking_service
    from app.services import organiser

    with app.app_context():
        # By an organiser: other tests' parties may wait on it, and the public would join them.
        booking_service.book(
            booking_service.BookingRequest(
                session_id, "Rita Levi", "rita@example.fr", others, by_organiser=True
            )
        )
        db.session.commit()
        taken = db.session.get(EventSession, session_id).seats_taken
        organiser.set_capacity(session_id, taken + 1, actor="tests@example.fr")
        db.session.commit()


def take_the_last_seats(app, session_id: int) -> None:
    """Someone books every seat still left on the session."""
    from app.extensions import db
    from app.models import EventSession
    from app.services import booking as booking_service

    with app.app_context():
        left = db.session.get(EventSession, session_id).seats_left
        # By an organiser: other tests' parties may wait on it, and the public would join them.
        booking_service.book(
            booking_service.BookingRequest(
                session_id, "Emmy Noether", "emmy@example.fr", left, by_organiser=True
            )
        )
        db.session.commit()


def a_booking_that_can_move(app) -> tuple[str, int]:
    """A party of two on a session of an event with others to move to: its token, a target."""
    from app.extensions import db
    from app.models import EventSession
    from app.services import booking as booking_service
    from app.services import plan_changes

    with app.app_context():
        sessions = db.session.scalars(
            db.select(EventSession).order_by(EventSession.starts_at, EventSession.id)
        ).all()
        for session in sessions:
            # Targets nobody waits for: a party waiting there would come first.
            targets = [t for t in plan_changes.session_targets(session) if not t.seats_waiting]
            if targets and session.seats_left >= 2 and targets[0].capacity >= 2:
                booking = booking_service.book(
                    booking_service.BookingRequest(
                        session.id, "Irène Joliot", "irene@example.fr", 2
                    )
                )
                db.session.commit()
                return booking.token, targets[0].id
    raise AssertionError("the demo programme has no event with several open sessions")


def session_of(app, token: str) -> int:
    """The id of the session the booking behind ``token`` is in."""
    from app.services import booking as booking_service

    with app.app_context():
        return booking_service.get_by_token(token).session_id


def demo_party_on_several(app) -> tuple[int, str]:
    """On the demo, a full exhibition session and a party waiting on it and on two others.

    The others have seats: the party's row on the first gets an offer at once, so its
    booking page shows places on three lists, one with an offer to answer. Returns the
    full session (whose waiting form lists the others) and the party's token.
    """
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import EventSession
    from app.services import booking as booking_service
    from app.services import waiting_party

    with app.app_context():
        event_id = db.session.scalars(
            select(EventSession.event_id)
            .group_by(EventSession.event_id)
            .order_by(func.count().desc(), EventSession.event_id)
        ).first()
        full = db.session.scalars(
            select(EventSession)
            .where(EventSession.event_id == event_id)
            .order_by(EventSession.starts_at.desc(), EventSession.id.desc())
        ).first()  # its last one: the pages' other tests book the first ones
        full.capacity = full.seats_taken + 1
        db.session.commit()
        booking_service.book(
            booking_service.BookingRequest(full.id, "Pierre Curie", "pierre@example.fr", 1)
        )
        db.session.commit()
        also = tuple(s.id for s in waiting_party.also_choices(full))[:2]
        assert len(also) == 2, "the demo's exhibition has fewer than three open sessions"
        booking = booking_service.join_waitlist(
            booking_service.BookingRequest(
                full.id, "Rosalind Franklin", "rosalind@example.fr", 1, also=also
            )
        )
        db.session.commit()
        return full.id, booking.token


def a_day_to_cancel(app, exclude: int | None = None) -> dict[str, object]:
    """A session of an event held on several days, with Irène Joliot's party of 2 booked.

    Returns its id, its Paris day and its event, for a bad day's preview and cancellation.
    """
    from app.extensions import db
    from app.models import EventSession
    from app.services import booking as booking_service
    from app.timeutil import paris

    with app.app_context():
        sessions = db.session.scalars(
            db.select(EventSession).order_by(EventSession.starts_at, EventSession.id)
        ).all()
        chosen = next(
            s
            for s in sessions
            if s.seats_left >= 2
            and s.id != exclude
            and len({paris(o.starts_at).date() for o in s.event.sessions}) > 1
        )
        booking = booking_service.book(
            booking_service.BookingRequest(chosen.id, "Irène Joliot", "irene@example.fr", 2)
        )
        db.session.commit()
        return {
            "session": chosen.id,
            "day": paris(chosen.starts_at).date().isoformat(),
            "event": chosen.event_id,
            "token": booking.token,
        }
