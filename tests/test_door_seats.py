"""The door and the seat ledger together: nobody inside loses a seat, the room never
over-fills, the door's standby queue comes before a new walk-in and gets the seats freed
once booking has closed, and a cancelled session lets nobody in. Both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import Booking, BookingStatus, CheckIn, EventSession, StandbyEntry, StandbyStatus
from app.services import booking as booking_service
from app.services import checkin, organiser, privacy, waitlist
from app.services.errors import DomainError
from app.services.ledger import check_ledger
from app.timeutil import utcnow

DOOR = "door@mines-ales.fr"
# Booking closes 60 min before the start (BOOKING_CLOSE_MINUTES): these sessions are past it.
SOON = timedelta(minutes=30)
LATER = timedelta(days=7)


def book(app, session_id: int, seats: int, who: str = "Marie Curie", **fields) -> dict:
    """A confirmed booking made by an organiser (no booking window applies)."""
    with app.app_context():
        booking = booking_service.book(
            booking_service.BookingRequest(
                session_id, who, f"{who.split()[0].lower()}@example.fr", seats, by_organiser=True
            )
        )
        for name, value in fields.items():
            setattr(booking, name, value)
        db.session.commit()
        return {"id": booking.id, "token": booking.token, "code": booking.ticket_code}


def wait_for_seats(app, session_id: int, seats: int, who: str = "Bob Marley") -> dict:
    """A party joining the (online) waiting list."""
    with app.app_context():
        booking = booking_service.join_waitlist(
            booking_service.BookingRequest(
                session_id, who, f"{who.split()[0].lower()}@example.fr", seats
            )
        )
        db.session.commit()
        return {"id": booking.id, "status": booking.status}


def door(app, action, *args, **kwargs):
    """Run one door service in its own transaction; return what it gave or the error."""
    with app.app_context():
        try:
            value = action(*args, actor=DOOR, **kwargs)
        except DomainError as error:
            db.session.rollback()
            return error
        db.session.commit()
        if hasattr(value, "__table__"):  # readable once the context is gone
            db.session.refresh(value)
            db.session.expunge(value)
        return value


def public(app, action, *args, **kwargs):
    """Run a booker's action in its own transaction; return the error if refused."""
    with app.app_context():
        try:
            action(*args, **kwargs)
        except DomainError as error:
            db.session.rollback()
            return error
        db.session.commit()
        return None


def state(app, session_id: int) -> dict:
    """What the room holds: seats taken, seats of people inside, standby statuses, ledger."""
    with app.app_context():
        session = db.session.get(EventSession, session_id)
        inside = db.session.scalar(
            select(func.coalesce(func.sum(CheckIn.seats), 0)).where(
                CheckIn.session_id == session_id, CheckIn.undone_at.is_(None)
            )
        )
        standby = {
            e.name: e.status
            for e in db.session.scalars(
                select(StandbyEntry).where(StandbyEntry.session_id == session_id)
            )
        }
        assert int(inside) <= session.capacity, "more people inside than seats"
        assert check_ledger() == []
        return {"taken": session.seats_taken, "inside": int(inside), "standby": standby}


def booking(app, booking_id: int) -> Booking:
    """A fresh copy of a booking (expunged, readable after the context)."""
    with app.app_context():
        row = db.session.get(Booking, booking_id)
        db.session.expunge(row)
        return row


# ------------------------------------------------------- seats of people already inside


def test_a_partly_checked_in_booking_cannot_be_cancelled(app, make_session):
    session_id = make_session(capacity=4, starts_in=SOON)
    party = book(app, session_id, 3)
    door(app, checkin.check_in, session_id, booking_id=party["id"], seats=2)
    refused = public(app, booking_service.cancel, party["token"])
    assert isinstance(refused, DomainError), "the seats of two people inside were freed"
    assert refused.status == 409
    assert "déjà entrées" in refused.message() and "réduire" in refused.message()
    assert booking(app, party["id"]).status is BookingStatus.CONFIRMED
    assert state(app, session_id)["taken"] == 3
    # The walk-in that the freed seats would have let in finds the room as it is.
    assert isinstance(door(app, checkin.walk_in, session_id, 2), checkin.NoSeatsAtDoor)
    assert state(app, session_id) == {"taken": 3, "inside": 2, "standby": {}}


def test_a_party_cannot_shrink_below_the_people_already_inside(app, make_session):
    session_id = make_session(capacity=6, starts_in=LATER)
    party = book(app, session_id, 4)
    door(app, checkin.check_in, session_id, booking_id=party["id"], seats=3)
    refused = public(app, booking_service.reduce, party["token"], 2)
    assert isinstance(refused, DomainError), "reduced below the three people inside"
    assert "3 personnes de ce groupe sont déjà entrées" in refused.message()
    assert booking(app, party["id"]).seats == 4
    assert public(app, booking_service.reduce, party["token"], 3) is None  # the absent one
    assert state(app, session_id) == {"taken": 3, "inside": 3, "standby": {}}


def test_erasing_a_checked_in_booking_keeps_its_seats(app, make_session):
    session_id = make_session(capacity=3, starts_in=SOON)
    party = book(app, session_id, 2)
    door(app, checkin.check_in, session_id, booking_id=party["id"], seats=1)
    assert public(app, privacy.erase_booking, party["token"]) is None
    erased = booking(app, party["id"])
    assert erased.personal_data_purged_at is not None and erased.email == ""
    assert erased.status is BookingStatus.CONFIRMED and erased.checked_in_seats == 1
    assert state(app, session_id) == {"taken": 2, "inside": 1, "standby": {}}
    # Two walk-ins would now be three people plus one inside in a room of three.
    assert isinstance(door(app, checkin.walk_in, session_id, 2), checkin.NoSeatsAtDoor)


# ------------------------------------------------------------- the standby queue first


def test_a_walk_in_does_not_jump_the_door_queue(app, make_session):
    session_id = make_session(capacity=4, starts_in=SOON)
    book(app, session_id, 2)
    door(app, checkin.add_standby, session_id, 3, "Famille Martin")  # 2 free: they don't fit
    refused = door(app, checkin.walk_in, session_id, 2, "Arrivé après")
    assert isinstance(refused, DomainError), "the walk-in took the seats before the queue"
    assert refused.status == 409 and "file d’attente de la porte" in refused.message()
    assert state(app, session_id) == {
        "taken": 2,
        "inside": 0,
        "standby": {"Famille Martin": StandbyStatus.WAITING},
    }
    # Put on the queue instead, the later party gets in the order the queue gives.
    entry = door(app, checkin.add_standby, session_id, 2, "Arrivé après")
    assert entry.status is StandbyStatus.ADMITTED


def test_a_walk_in_over_the_routes_says_to_use_the_queue(app, client, staff_login, make_session):
    from .test_checkin import post, result

    session_id = make_session(capacity=3, starts_in=SOON)
    book(app, session_id, 2)
    tablet = staff_login(client, "checkin", DOOR)
    post(tablet, f"/checkin/sessions/{session_id}/standby", session_id, seats="2", nonce="s1")
    answer = post(tablet, f"/checkin/sessions/{session_id}/walk-in", session_id, seats="1")
    assert answer.status_code == 409 and "file d’attente de la porte" in result(answer)
    assert state(app, session_id)["taken"] == 2


# ---------------------------------------- seats freed after booking closed go to the door


def queue_behind_a_full_room(app, session_id: int, party_seats: int = 2) -> dict:
    """A full room (one booking) and a party waiting at the door for ``party_seats``."""
    party = book(app, session_id, 4, "Paul Langevin")
    entry = door(app, checkin.add_standby, session_id, party_seats, "À la porte")
    assert entry.status is StandbyStatus.WAITING
    return party


def test_a_cancellation_after_booking_closed_admits_the_door_queue(app, make_session):
    session_id = make_session(capacity=4, starts_in=SOON)
    party = queue_behind_a_full_room(app, session_id)
    assert public(app, booking_service.cancel, party["token"]) is None
    assert state(app, session_id) == {
        "taken": 2,
        "inside": 2,
        "standby": {"À la porte": StandbyStatus.ADMITTED},
    }


def test_a_reduction_after_booking_closed_admits_the_door_queue(app, make_session):
    session_id = make_session(capacity=4, starts_in=SOON)
    party = queue_behind_a_full_room(app, session_id)
    assert public(app, booking_service.reduce, party["token"], 2) is None
    assert state(app, session_id)["standby"] == {"À la porte": StandbyStatus.ADMITTED}
    assert state(app, session_id)["taken"] == 4


def test_undoing_a_walk_in_after_booking_closed_admits_the_door_queue(app, make_session):
    session_id = make_session(capacity=4, starts_in=SOON)
    book(app, session_id, 2)
    walked = door(app, checkin.walk_in, session_id, 2, "Erreur de saisie")
    door(app, checkin.add_standby, session_id, 2, "À la porte")
    door(app, checkin.undo, walked.id)
    assert state(app, session_id) == {
        "taken": 4,
        "inside": 2,
        "standby": {"À la porte": StandbyStatus.ADMITTED},
    }


def test_before_booking_closes_freed_seats_still_go_to_the_waiting_list(app, make_session):
    session_id = make_session(capacity=4, starts_in=LATER)
    party = book(app, session_id, 4, "Paul Langevin")
    waiting = wait_for_seats(app, session_id, 2)
    assert waiting["status"] is BookingStatus.WAITING
    door(app, checkin.add_standby, session_id, 2, "À la porte")
    assert public(app, booking_service.cancel, party["token"]) is None
    assert booking(app, waiting["id"]).status is BookingStatus.OFFERED
    assert state(app, session_id)["standby"] == {"À la porte": StandbyStatus.ADMITTED}
    assert state(app, session_id)["taken"] == 4  # the offer's two and the door's two


def test_an_offer_lapsing_at_the_close_gives_its_seats_to_the_door_queue(app, make_session):
    session_id = make_session(capacity=4, starts_in=timedelta(hours=3))
    party = book(app, session_id, 4, "Paul Langevin")
    waiting = wait_for_seats(app, session_id, 2)
    assert public(app, booking_service.cancel, party["token"]) is None
    offered = booking(app, waiting["id"])
    assert offered.status is BookingStatus.OFFERED  # it holds two seats until the close
    book(app, session_id, 2, "Irène Joliot")  # the two other seats
    door(app, checkin.add_standby, session_id, 2, "À la porte")
    assert state(app, session_id)["standby"] == {"À la porte": StandbyStatus.WAITING}
    with app.app_context():
        assert waitlist.expire_due(now=offered.offer_expires_at + timedelta(minutes=1)) == 1
        db.session.commit()
    assert booking(app, waiting["id"]).status is BookingStatus.EXPIRED
    assert state(app, session_id) == {
        "taken": 4,
        "inside": 2,
        "standby": {"À la porte": StandbyStatus.ADMITTED},
    }


# ------------------------------------------------------------- a cancelled session


def test_a_cancelled_session_lets_nobody_in(app, make_session):
    session_id = make_session(capacity=6, starts_in=SOON)
    confirmed = book(app, session_id, 2)
    absent = book(app, session_id, 2, "Absent Durand")
    with app.app_context():  # ten minutes before the start: absent parties can be released
        db.session.execute(
            update(EventSession)
            .where(EventSession.id == session_id)
            .values(starts_at=utcnow() + timedelta(minutes=5))
        )
        db.session.commit()
    door(app, checkin.check_in, session_id, booking_id=confirmed["id"], seats=1)
    assert door(app, checkin.release_no_shows, session_id) == 2
    with app.app_context():
        organiser.cancel_session(session_id, actor="orga@mines-ales.fr")
        db.session.commit()
    before = state(app, session_id)

    attempts = {
        "readmission": door(app, checkin.check_in, session_id, ticket_code=absent["code"]),
        "check-in": door(app, checkin.check_in, session_id, booking_id=confirmed["id"]),
        "walk-in": door(app, checkin.walk_in, session_id, 1),
        "standby": door(app, checkin.add_standby, session_id, 1, "Trop tard"),
    }
    for what, refused in attempts.items():
        assert isinstance(refused, DomainError), f"{what} accepted on a cancelled session"
        assert refused.status == 409 and "séance est annulée" in refused.message(), what
    assert state(app, session_id) == before
    assert booking(app, absent["id"]).status is BookingStatus.RELEASED


def test_a_cancelled_session_at_the_door_says_so(app, client, staff_login, make_session):
    from .test_checkin import post, result

    session_id = make_session(capacity=6, starts_in=SOON)
    with app.app_context():
        organiser.cancel_session(session_id, actor="orga@mines-ales.fr")
        db.session.commit()
    tablet = staff_login(client, "checkin", DOOR)
    answer = post(tablet, f"/checkin/sessions/{session_id}/walk-in", session_id, seats="1")
    assert answer.status_code == 409 and "séance est annulée" in result(answer)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Booking)) == 0


@pytest.mark.parametrize("seats_in", [1, 2])
def test_no_sequence_of_door_and_booking_changes_over_fills_the_room(app, make_session, seats_in):
    """Cancel, reduce, undo and walk-ins around a party inside: never more inside than seats."""
    session_id = make_session(capacity=3, starts_in=SOON)
    party = book(app, session_id, 3)
    door(app, checkin.check_in, session_id, booking_id=party["id"], seats=seats_in)
    public(app, booking_service.cancel, party["token"])
    public(app, booking_service.reduce, party["token"], 1)
    public(app, privacy.erase_booking, party["token"])
    door(app, checkin.walk_in, session_id, 3)  # the room looks empty if the party was freed
    door(app, checkin.add_standby, session_id, 3)
    room = state(app, session_id)  # asserts inside <= capacity and the ledger
    assert room["inside"] <= 3 and room["taken"] <= 3
