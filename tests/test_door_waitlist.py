"""The door and the waiting list: once booking has closed, a waiting party that comes to the
door waits there at its waiting-list rank, and the door's standby queue follows the waiting
list's rule (the first party that fits; seats held for a party passed over too often).
Both databases; docs/door.md."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Booking, BookingStatus, EventSession, StandbyEntry, StandbyStatus
from app.services import booking as booking_service
from app.services import checkin
from app.services.errors import DomainError
from app.services.ledger import check_ledger
from app.timeutil import utcnow

from .helpers import form_fields

DOOR = "door@mines-ales.fr"


@pytest.fixture
def door_client(client, staff_login):
    """A client signed in as door staff."""
    return staff_login(client, "checkin", DOOR)


def party(app, session_id: int, seats: int, who: str, *, waiting: bool = False) -> dict:
    """A confirmed booking (made by an organiser) or a party joining the waiting list."""
    with app.app_context():
        request = booking_service.BookingRequest(
            session_id, who, f"{who.split()[0].lower()}@example.fr", seats, by_organiser=not waiting
        )
        made = booking_service.join_waitlist(request) if waiting else booking_service.book(request)
        db.session.commit()
        assert made.status is (BookingStatus.WAITING if waiting else BookingStatus.CONFIRMED)
        return {"id": made.id, "token": made.token, "code": made.ticket_code}


def booking_closes(app, session_id: int) -> None:
    """The session now starts in 30 minutes: booking (60 min before) has closed."""
    with app.app_context():
        session = db.session.get(EventSession, session_id)
        session.starts_at = utcnow() + timedelta(minutes=30)
        session.ends_at = session.starts_at + timedelta(hours=1)
        db.session.commit()


def door(app, action, *args, **kwargs):
    """One door service in its own transaction: what it gave (plain values) or the error."""
    with app.app_context():
        try:
            value = action(*args, actor=DOOR, **kwargs)
        except DomainError as error:
            db.session.rollback()
            return error
        out = {"id": value.id, "status": value.status} if hasattr(value, "status") else value
        db.session.commit()
        return out


def cancel(app, token: str) -> None:
    with app.app_context():
        booking_service.cancel(token)
        db.session.commit()


def ledger(app, session_id: int) -> dict:
    """The session's counters; the ledger checked against the bookings."""
    with app.app_context():
        session = db.session.get(EventSession, session_id)
        assert check_ledger() == []
        return {"taken": session.seats_taken, "waiting": session.seats_waiting}


def queue(app, session_id: int) -> list[str]:
    """Names on the door's standby queue, in its order."""
    with app.app_context():
        return [entry.name for entry in checkin.standby_queue(session_id)]


def statuses(app, session_id: int) -> dict[str, str]:
    with app.app_context():
        return {
            e.name: e.status.value
            for e in db.session.scalars(
                select(StandbyEntry).where(StandbyEntry.session_id == session_id)
            )
        }


def booking_row(app, booking_id: int) -> tuple[BookingStatus, int, int]:
    with app.app_context():
        row = db.session.get(Booking, booking_id)
        return row.status, row.seats, row.checked_in_seats


def full_session(app, make_session, capacity: int, *parties: int) -> tuple[int, list[dict]]:
    """A session booked full by ``parties`` (their sizes), open for booking for now."""
    session_id = make_session(capacity=capacity, starts_in=timedelta(days=7))
    booked = [party(app, session_id, seats, f"Réservé{i} Nom") for i, seats in enumerate(parties)]
    return session_id, booked


# ------------------------------------------------------------ at the waiting list's rank


def test_a_waiting_party_at_the_door_goes_before_a_walk_in_who_came_earlier(app, make_session):
    session_id, (alice,) = full_session(app, make_session, 2, 2)
    bob = party(app, session_id, 2, "Bob Marley", waiting=True)
    booking_closes(app, session_id)
    assert ledger(app, session_id) == {"taken": 2, "waiting": 2}

    door(app, checkin.add_standby, session_id, 2, "Carl sans billet")
    refused = door(app, checkin.check_in, session_id, ticket_code=bob["code"])
    assert isinstance(refused, checkin.OnWaitingList) and refused.rank == 1
    joined = door(app, checkin.join_standby, session_id, bob["id"])
    assert joined["status"] is StandbyStatus.WAITING
    assert queue(app, session_id) == ["Bob Marley", "Carl sans billet"]
    assert ledger(app, session_id) == {"taken": 2, "waiting": 2}

    cancel(app, alice["token"])
    # Bob's own booking is confirmed and checked in; it left the waiting list.
    assert booking_row(app, bob["id"]) == (BookingStatus.CONFIRMED, 2, 2)
    assert statuses(app, session_id) == {"Bob Marley": "admitted", "Carl sans billet": "waiting"}
    assert ledger(app, session_id) == {"taken": 2, "waiting": 0}


def test_two_waiting_parties_at_the_door_keep_their_list_order(app, make_session):
    session_id, booked = full_session(app, make_session, 2, 1, 1)
    first = party(app, session_id, 1, "Ada Lovelace", waiting=True)
    second = party(app, session_id, 1, "Lise Meitner", waiting=True)
    booking_closes(app, session_id)

    door(app, checkin.join_standby, session_id, second["id"])  # the second came first
    door(app, checkin.join_standby, session_id, first["id"])
    assert queue(app, session_id) == ["Ada Lovelace", "Lise Meitner"]
    cancel(app, booked[0]["token"])
    assert statuses(app, session_id) == {"Ada Lovelace": "admitted", "Lise Meitner": "waiting"}
    assert ledger(app, session_id) == {"taken": 2, "waiting": 1}
    cancel(app, booked[1]["token"])
    assert booking_row(app, second["id"]) == (BookingStatus.CONFIRMED, 1, 1)
    assert ledger(app, session_id) == {"taken": 2, "waiting": 0}


def test_a_waiting_party_with_free_seats_goes_straight_in(app, make_session):
    session_id, (booked,) = full_session(app, make_session, 3, 3)
    waiting = party(app, session_id, 2, "Bob Marley", waiting=True)
    booking_closes(app, session_id)
    cancel(app, booked["token"])  # after the close: no offer, the seats wait for the door
    assert booking_row(app, waiting["id"])[0] is BookingStatus.WAITING
    joined = door(app, checkin.join_standby, session_id, waiting["id"])
    assert joined["status"] is StandbyStatus.ADMITTED
    assert booking_row(app, waiting["id"]) == (BookingStatus.CONFIRMED, 2, 2)
    assert ledger(app, session_id) == {"taken": 2, "waiting": 0}


def test_before_the_close_a_waiting_party_is_told_when_it_may_wait_at_the_door(app, make_session):
    session_id, _booked = full_session(app, make_session, 2, 2)
    waiting = party(app, session_id, 2, "Bob Marley", waiting=True)
    refused = door(app, checkin.check_in, session_id, booking_id=waiting["id"])
    assert isinstance(refused, checkin.NotAdmissible)
    with app.test_request_context():
        assert "clôture des réservations" in refused.message()
    assert isinstance(door(app, checkin.join_standby, session_id, waiting["id"]), DomainError)
    assert queue(app, session_id) == [] and ledger(app, session_id) == {"taken": 2, "waiting": 2}


def test_joining_twice_or_retrying_keeps_one_place(app, make_session):
    session_id, _booked = full_session(app, make_session, 2, 2)
    waiting = party(app, session_id, 2, "Bob Marley", waiting=True)
    booking_closes(app, session_id)
    first = door(app, checkin.join_standby, session_id, waiting["id"], nonce="n1")
    again = door(app, checkin.join_standby, session_id, waiting["id"], nonce="n1")
    assert again == first
    other = door(app, checkin.join_standby, session_id, waiting["id"], nonce="n2")
    assert isinstance(other, checkin.AlreadyOnStandby) and other.place == 1
    scanned = door(app, checkin.check_in, session_id, ticket_code=waiting["code"])
    assert isinstance(scanned, checkin.AlreadyOnStandby)
    assert queue(app, session_id) == ["Bob Marley"]


def test_a_waiting_party_that_cancels_leaves_the_door_queue(app, make_session):
    session_id, (booked,) = full_session(app, make_session, 2, 2)
    waiting = party(app, session_id, 2, "Bob Marley", waiting=True)
    booking_closes(app, session_id)
    door(app, checkin.join_standby, session_id, waiting["id"])
    cancel(app, waiting["token"])
    assert queue(app, session_id) == []
    cancel(app, booked["token"])
    walk_in = door(app, checkin.walk_in, session_id, 2, "Sans billet")
    assert not isinstance(walk_in, DomainError), "a cancelled party still held the queue"
    assert ledger(app, session_id) == {"taken": 2, "waiting": 0}


def test_a_party_that_shrank_asks_for_its_seats_of_now(app, make_session):
    session_id, (booked,) = full_session(app, make_session, 3, 3)
    waiting = party(app, session_id, 3, "Bob Marley", waiting=True)
    booking_closes(app, session_id)
    door(app, checkin.join_standby, session_id, waiting["id"])
    with app.app_context():
        booking_service.reduce(waiting["token"], 1)
        db.session.commit()
    with app.app_context():
        assert [e.party_seats for e in checkin.standby_queue(session_id)] == [1]
    cancel(app, booked["token"])
    assert booking_row(app, waiting["id"]) == (BookingStatus.CONFIRMED, 1, 1)
    assert ledger(app, session_id) == {"taken": 1, "waiting": 0}


# -------------------------------------------------------------- the anti-starvation rule


def test_a_family_passed_over_by_pairs_gets_the_next_seats_held(app, make_session):
    assert app.config["WAITLIST_MAX_PASSES"] == 2
    session_id, (a, b, c, d) = full_session(app, make_session, 10, 2, 2, 3, 3)
    booking_closes(app, session_id)
    for name, seats in [("Famille", 5), ("Paire1", 2), ("Paire2", 2), ("Paire3", 2), ("Seul", 1)]:
        door(app, checkin.add_standby, session_id, seats, name)

    cancel(app, a["token"])  # 2 free: the family of 5 does not fit, a pair goes in
    cancel(app, b["token"])  # again: the family has now been passed over twice
    assert statuses(app, session_id)["Paire2"] == "admitted"
    with app.app_context():
        family = next(e for e in checkin.standby_queue(session_id) if e.name == "Famille")
        assert family.passed_over == 2
    assert ledger(app, session_id) == {"taken": 10, "waiting": 0}

    cancel(app, c["token"])  # 3 free: held for the family, though a pair and one would fit
    assert statuses(app, session_id) == {
        "Famille": "waiting",
        "Paire1": "admitted",
        "Paire2": "admitted",
        "Paire3": "waiting",
        "Seul": "waiting",
    }
    assert ledger(app, session_id) == {"taken": 7, "waiting": 0}

    # A walk-in does not take the held seats: it is sent to the queue, and waits there.
    walk_in = door(app, checkin.walk_in, session_id, 1, "Nouveau")
    assert isinstance(walk_in, checkin.StandbyFirst)
    added = door(app, checkin.add_standby, session_id, 1, "Nouveau")
    assert added["status"] is StandbyStatus.WAITING
    assert ledger(app, session_id) == {"taken": 7, "waiting": 0}

    cancel(app, d["token"])  # 6 free: the family goes in, then the first that fits the last seat
    assert statuses(app, session_id) == {
        "Famille": "admitted",
        "Paire1": "admitted",
        "Paire2": "admitted",
        "Paire3": "waiting",
        "Seul": "admitted",
        "Nouveau": "waiting",
    }
    assert ledger(app, session_id) == {"taken": 10, "waiting": 0}


def test_when_the_party_held_for_leaves_the_queue_behind_it_moves_on(app, make_session):
    session_id, (a, b, c) = full_session(app, make_session, 6, 2, 2, 2)
    booking_closes(app, session_id)
    for name, seats in [("Famille", 5), ("Paire1", 2), ("Paire2", 2), ("Paire3", 2)]:
        door(app, checkin.add_standby, session_id, seats, name)
    for booked in (a, b, c):
        cancel(app, booked["token"])
    assert statuses(app, session_id)["Paire3"] == "waiting"  # 2 free, held for the family
    with app.app_context():
        family = checkin.standby_queue(session_id)[0]
        assert (family.name, family.passed_over) == ("Famille", 2)
    door(app, checkin.leave_standby, family.id)
    assert statuses(app, session_id) == {
        "Famille": "gone",
        "Paire1": "admitted",
        "Paire2": "admitted",
        "Paire3": "admitted",
    }
    assert ledger(app, session_id) == {"taken": 6, "waiting": 0}


def test_a_party_passed_over_on_the_list_brings_its_passes_to_the_door(app, make_session):
    session_id, (booked,) = full_session(app, make_session, 4, 4)
    family = party(app, session_id, 4, "Famille Curie", waiting=True)
    with app.app_context():
        db.session.get(Booking, family["id"]).passed_over = 2
        db.session.commit()
    booking_closes(app, session_id)
    door(app, checkin.join_standby, session_id, family["id"])
    door(app, checkin.add_standby, session_id, 1, "Seul")
    with app.app_context():
        booking_service.reduce(booked["token"], 2)  # 2 free: held for the family
        db.session.commit()
    assert statuses(app, session_id) == {"Famille Curie": "waiting", "Seul": "waiting"}
    assert ledger(app, session_id) == {"taken": 2, "waiting": 4}


# ---------------------------------------------------------------------------- the tablet


def csrf(door_client, session_id: int) -> str:
    page = door_client.get(f"/checkin/sessions/{session_id}").get_data(as_text=True)
    return form_fields(page, "/scan")["csrf_token"]


def test_the_tablet_offers_a_waiting_ticket_its_place_at_the_door(app, door_client, make_session):
    session_id, _booked = full_session(app, make_session, 2, 2)
    party(app, session_id, 1, "Ada Lovelace", waiting=True)
    bob = party(app, session_id, 2, "Bob Marley", waiting=True)
    booking_closes(app, session_id)
    door(app, checkin.add_standby, session_id, 1, "Carl sans billet")

    scanned = door_client.post(
        f"/checkin/sessions/{session_id}/scan",
        data={"csrf_token": csrf(door_client, session_id), "q": bob["code"], "nonce": "s1"},
        headers={"HX-Request": "true"},
    )
    page = scanned.get_data(as_text=True)
    assert scanned.status_code == 409
    assert "Sur la liste d’attente (rang 2)" in page
    button = "Ajouter à l’attente à l’entrée (rang 2 sur la liste d’attente)"
    assert button in page
    join = f"/checkin/sessions/{session_id}/bookings/{bob['id']}/standby"
    assert f'action="{join}"' in page

    # Without JavaScript: a plain POST, then the board by name.
    joined = door_client.post(
        join, data={"csrf_token": csrf(door_client, session_id), "nonce": "s2"}
    )
    assert joined.status_code == 303
    board = door_client.get(f"/checkin/sessions/{session_id}?q=Marley").get_data(as_text=True)
    assert "n° 1 de la file" in board
    assert button not in board and "attend à l’entrée" in board
    standby = board[board.index('id="standby-title"') :]
    assert re.search(r"Bob Marley · 2 places · .*liste d’attente, rang 2", standby, re.S)
    assert standby.index("Bob Marley") < standby.index("Carl sans billet")
    assert ledger(app, session_id) == {"taken": 2, "waiting": 3}
