"""Waiting lists that understand parties: join, offers, accept, decline, expiry, capacity."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select, update

from app.extensions import db
from app.models import AuditEntry, Booking, BookingStatus, Event, EventSession
from app.services import booking as booking_service
from app.services import organiser, waitlist
from app.services.booking_errors import CapacityBelowBooked, OfferExpired, SessionFull
from app.services.ledger import check_ledger
from app.timeutil import utcnow

from .gallery_helpers import add_specimen, statements
from .helpers import form_fields


def confirm(app, session_id: int, seats: int, who: str = "a") -> str:
    """Book ``seats`` directly through the service; return the token."""
    with app.app_context():
        booking = booking_service.book(
            booking_service.BookingRequest(session_id, who, f"{who}@example.fr", seats)
        )
        db.session.commit()
        return booking.token


def join(app, session_id: int, seats: int, who: str) -> str:
    """Join the waiting list through the service; return the token."""
    with app.app_context():
        booking = booking_service.join_waitlist(
            booking_service.BookingRequest(session_id, who, f"{who}@example.fr", seats)
        )
        db.session.commit()
        return booking.token


def cancel(app, token: str) -> None:
    """Cancel (or decline, or leave) through the service."""
    with app.app_context():
        booking_service.cancel(token)
        db.session.commit()


def state(app, token: str) -> tuple[BookingStatus, int]:
    """(status, seats) of a booking."""
    with app.app_context():
        booking = db.session.scalar(select(Booking).where(Booking.token == token))
        return booking.status, booking.seats


def offer_lapsing(app, make_session, after: timedelta) -> tuple[int, str, str]:
    """A session of one seat whose first waiting party holds an offer ending ``after`` now.

    Returns the session, the party holding the offer and the next one waiting.
    """
    session_id = make_session(capacity=1)
    leaving = confirm(app, session_id, 1)
    first = join(app, session_id, 1, "first")
    second = join(app, session_id, 1, "second")
    cancel(app, leaving)
    with app.app_context():
        booking_service.get_by_token(first).offer_expires_at = utcnow() + after
        db.session.commit()
    return session_id, first, second


def counters(app, session_id: int) -> tuple[int, int, int]:
    """(seats_taken, seats_waiting, seats_left) of a session, checking the ledger on the way."""
    with app.app_context():
        assert check_ledger() == []
        session = db.session.get(EventSession, session_id)
        return session.seats_taken, session.seats_waiting, session.seats_left


def test_a_full_session_takes_a_party_on_its_waiting_list(app, client, make_session, book_form):
    session_id = make_session(capacity=2)
    confirm(app, session_id, 2)
    form = book_form(session_id)
    response = client.post(
        f"/sessions/{session_id}",
        data={
            **form,
            "name": "Lise",
            "email": "lise@example.fr",
            "seats": "2",
            "action": "waitlist",
        },
    )
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Vous êtes sur la liste d’attente. Nous vous écrirons" in page  # the flash
    assert "C’est réservé" not in page
    assert "Vous êtes en tête de la liste d’attente." in page
    assert "En liste d’attente" in page
    assert counters(app, session_id) == (2, 2, 0)
    assert client.get(f"/api/sessions/{session_id}").get_json()["waitlist"] == 2
    assert "Complet – liste d’attente" in client.get("/").get_data(as_text=True)


def test_position_counts_parties_ahead(app, make_session):
    session_id = make_session(capacity=1)
    confirm(app, session_id, 1)
    tokens = [join(app, session_id, 1, f"w{i}") for i in range(3)]
    with app.app_context():
        positions = [waitlist.position(booking_service.get_by_token(t)) for t in tokens]
    assert positions == [1, 2, 3]


def test_while_anyone_waits_the_public_cannot_jump_the_queue(app, make_session):
    session_id = make_session(capacity=4)
    confirm(app, session_id, 2, "a")
    confirm(app, session_id, 2, "b")
    join(app, session_id, 3, "big")
    with app.app_context():
        with pytest.raises(SessionFull):
            booking_service.book(
                booking_service.BookingRequest(session_id, "late", "late@example.fr", 1)
            )
        db.session.rollback()


def test_a_cancellation_offers_the_first_party_that_fits(app, make_session):
    session_id = make_session(capacity=4)
    confirm(app, session_id, 2, "a")
    leaving = confirm(app, session_id, 2, "b")
    big = join(app, session_id, 3, "big")
    small = join(app, session_id, 1, "small")

    cancel(app, leaving)

    assert state(app, big) == (BookingStatus.WAITING, 3)
    assert state(app, small) == (BookingStatus.OFFERED, 1)
    assert counters(app, session_id) == (3, 3, 0)  # 2 confirmed + 1 held for the offer
    with app.app_context():
        assert booking_service.get_by_token(big).passed_over == 1
        offer = booking_service.get_by_token(small)
        assert offer.offer_expires_at - offer.offered_at <= timedelta(hours=24)


def test_accepting_confirms_the_held_seats(app, make_session):
    session_id = make_session(capacity=2)
    leaving = confirm(app, session_id, 2)
    waiting = join(app, session_id, 2, "w")
    cancel(app, leaving)
    with app.app_context():
        waitlist.accept(waiting)
        db.session.commit()
    assert state(app, waiting) == (BookingStatus.CONFIRMED, 2)
    assert counters(app, session_id) == (2, 0, 0)


def test_declining_passes_the_seats_to_the_next_party(app, make_session):
    session_id = make_session(capacity=2)
    leaving = confirm(app, session_id, 2)
    first = join(app, session_id, 2, "first")
    second = join(app, session_id, 2, "second")
    cancel(app, leaving)
    assert state(app, first)[0] is BookingStatus.OFFERED
    assert state(app, second)[0] is BookingStatus.WAITING
    cancel(app, first)  # declining an offer is cancelling it
    assert state(app, first)[0] is BookingStatus.CANCELLED
    assert state(app, second)[0] is BookingStatus.OFFERED
    assert counters(app, session_id) == (2, 0, 0)


def test_expiry_passes_the_seats_on_and_a_late_accept_is_refused(app, runner, make_session):
    session_id = make_session(capacity=1)
    leaving = confirm(app, session_id, 1)
    first = join(app, session_id, 1, "first")
    second = join(app, session_id, 1, "second")
    cancel(app, leaving)
    with app.app_context():
        offer = booking_service.get_by_token(first)
        offer.offer_expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
        with pytest.raises(OfferExpired):
            waitlist.accept(first)
        db.session.rollback()

    result = runner.invoke(args=["process-waitlist"])
    assert "1 offer(s) expired" in result.output
    assert state(app, first)[0] is BookingStatus.EXPIRED
    assert state(app, second)[0] is BookingStatus.OFFERED
    assert counters(app, session_id) == (1, 0, 0)


def test_expired_offers_are_processed_when_the_session_is_read(app, client, make_session):
    session_id, first, second = offer_lapsing(app, make_session, -timedelta(seconds=1))
    assert client.get(f"/sessions/{session_id}").status_code == 200
    assert state(app, first)[0] is BookingStatus.EXPIRED
    assert state(app, second)[0] is BookingStatus.OFFERED


# Every read that shows seats, with the role it needs (None: the public).
SEAT_READERS = [
    pytest.param("/", None, id="programme"),
    pytest.param("/live/seats?event={event_id}", None, id="live-poll"),
    pytest.param("/collection/{number}", None, id="specimen-page"),
    pytest.param("/api/sessions", None, id="api-list"),
    pytest.param("/api/sessions/{session_id}", None, id="api-session"),
    pytest.param("/checkin/", "checkin", id="door-day"),
    pytest.param("/checkin/sessions/{session_id}", "checkin", id="door-board"),
    pytest.param("/checkin/sessions/{session_id}/counters", "checkin", id="door-counters"),
    pytest.param("/admin/", "organiser", id="dashboard"),
    pytest.param("/admin/sessions/{session_id}", "organiser", id="admin-session"),
]


@pytest.mark.parametrize(("path", "role"), SEAT_READERS)
def test_every_read_that_shows_seats_processes_lapsed_offers_first(
    app, client, make_session, staff_login, path, role
):
    session_id, first, second = offer_lapsing(app, make_session, -timedelta(seconds=1))
    with app.app_context():
        event_id = db.session.get(EventSession, session_id).event_id
    number = add_specimen(app, "Quartz", on_display=True, event_id=event_id, picture=False)
    if role:
        staff_login(client, role)
    response = client.get(path.format(session_id=session_id, event_id=event_id, number=number))
    assert response.status_code == 200
    assert state(app, first)[0] is BookingStatus.EXPIRED
    assert state(app, second)[0] is BookingStatus.OFFERED


def test_raising_capacity_makes_offers_and_lowering_below_booked_is_refused(app, make_session):
    session_id = make_session(capacity=2)
    confirm(app, session_id, 2)
    waiting = join(app, session_id, 2, "w")
    with app.app_context():
        with pytest.raises(CapacityBelowBooked):
            organiser.set_capacity(session_id, 1, actor="organiser@example.fr")
        db.session.rollback()
        organiser.set_capacity(session_id, 4, actor="organiser@example.fr")
        db.session.commit()
    assert state(app, waiting)[0] is BookingStatus.OFFERED
    assert counters(app, session_id) == (4, 0, 0)


def test_two_waiting_parties_never_hold_the_same_seats(app, make_session):
    session_id = make_session(capacity=2)
    leaving = confirm(app, session_id, 2)
    first = join(app, session_id, 2, "first")
    second = join(app, session_id, 2, "second")
    cancel(app, leaving)
    statuses = [state(app, first)[0], state(app, second)[0]]
    assert statuses == [BookingStatus.OFFERED, BookingStatus.WAITING]
    assert counters(app, session_id) == (2, 2, 0)


def test_a_party_passed_over_too_often_has_the_next_seats_held_for_it(app, make_session):
    session_id = make_session(capacity=3)
    singles = [confirm(app, session_id, 1, f"s{i}") for i in range(3)]
    big = join(app, session_id, 3, "big")
    small = [join(app, session_id, 1, f"w{i}") for i in range(3)]

    cancel(app, singles[0])  # w0 fits, big passed over once
    cancel(app, singles[1])  # w1 fits, big passed over twice
    cancel(app, singles[2])  # big has been passed over enough: the seat waits for it
    assert [state(app, t)[0] for t in small] == [
        BookingStatus.OFFERED,
        BookingStatus.OFFERED,
        BookingStatus.WAITING,
    ]
    assert state(app, big)[0] is BookingStatus.WAITING
    assert counters(app, session_id) == (2, 4, 0)

    cancel(app, small[0])  # declines: 2 free, still not enough for 3
    assert state(app, big)[0] is BookingStatus.WAITING
    cancel(app, small[1])
    assert state(app, big)[0] is BookingStatus.OFFERED
    assert state(app, small[2])[0] is BookingStatus.WAITING


def test_manual_events_make_no_automatic_offers(app, make_session):
    session_id = make_session(capacity=1)
    with app.app_context():
        event = db.session.get(EventSession, session_id).event
        event.waitlist_auto = False
        db.session.commit()
    leaving = confirm(app, session_id, 1)
    waiting = join(app, session_id, 1, "w")
    cancel(app, leaving)
    assert state(app, waiting)[0] is BookingStatus.WAITING
    assert counters(app, session_id) == (0, 1, 0)


def test_reducing_a_waiting_party_can_make_it_fit(app, client, make_session):
    session_id = make_session(capacity=3)
    confirm(app, session_id, 2, "a")
    confirm(app, session_id, 1, "b")
    waiting = join(app, session_id, 3, "w")
    cancel(app, booking_token_of(app, "b"))  # 1 free: the party of 3 does not fit
    assert state(app, waiting)[0] is BookingStatus.WAITING
    page = client.get(f"/b/{waiting}").get_data(as_text=True)
    response = client.post(
        f"/b/{waiting}/seats", data={**form_fields(page, "/seats"), "seats": "1"}
    )
    assert response.status_code == 303
    assert state(app, waiting) == (BookingStatus.OFFERED, 1)
    assert counters(app, session_id) == (3, 0, 0)


def booking_token_of(app, who: str) -> str:
    """The token of the booking made in ``who``'s name."""
    with app.app_context():
        return db.session.scalar(select(Booking.token).where(Booking.name == who))


def test_leaving_the_waiting_list(app, client, make_session):
    session_id = make_session(capacity=2)
    confirm(app, session_id, 2)
    waiting = join(app, session_id, 2, "w")
    page = client.get(f"/b/{waiting}/cancel").get_data(as_text=True)
    assert "Quitter la liste d’attente" in page
    response = client.post(f"/b/{waiting}/cancel", data=form_fields(page))
    assert response.status_code == 303
    assert "Vous avez quitté la liste d’attente." in client.get(f"/b/{waiting}").get_data(
        as_text=True
    )
    assert state(app, waiting)[0] is BookingStatus.CANCELLED
    assert counters(app, session_id) == (2, 0, 0)


def test_offers_never_outlive_booking_close_and_shrink_near_the_session(app, make_session):
    far, near = (
        make_session(starts_in=timedelta(hours=72)),
        make_session(starts_in=timedelta(hours=5)),
    )
    closed = make_session(starts_in=timedelta(minutes=30))
    with app.app_context():
        for session_id, longest in ((far, timedelta(hours=24)), (near, timedelta(hours=2))):
            session = db.session.get(EventSession, session_id)
            now = utcnow()
            deadline = waitlist.offer_deadline(session, now)
            assert deadline - now <= longest
            assert deadline <= session.starts_at - timedelta(
                minutes=app.config["BOOKING_CLOSE_MINUTES"]
            )
        assert waitlist.offer_deadline(db.session.get(EventSession, closed), utcnow()) is None


def test_a_cancellation_racing_an_acceptance_keeps_the_ledger_exact(app, make_session, live_server):
    """Cancel one confirmed booking while another party accepts its offer, at once."""
    session_id = make_session(capacity=3)
    leaving = confirm(app, session_id, 1, "leaving")
    confirm(app, session_id, 1, "staying")
    first_out = confirm(app, session_id, 1, "first-out")
    offered = join(app, session_id, 1, "offered")
    next_in_line = join(app, session_id, 1, "next")
    cancel(app, first_out)  # "offered" now holds 1 seat
    assert state(app, offered)[0] is BookingStatus.OFFERED

    actions = [(f"/b/{leaving}/cancel", leaving), (f"/b/{offered}/accept", offered)]
    clients = []
    for path, _token in actions:
        http = requests.Session()
        fields = form_fields(http.get(live_server + path, timeout=30).text)
        clients.append((http, path, fields))
    barrier = threading.Barrier(len(clients))
    statuses: list[int] = []

    def run(http: requests.Session, path: str, fields: dict[str, str]) -> None:
        """Post at the same instant as the other action."""
        barrier.wait(timeout=30)
        statuses.append(
            http.post(
                live_server + path, data=fields, allow_redirects=False, timeout=30
            ).status_code
        )

    threads = [threading.Thread(target=run, args=client) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert statuses == [303, 303]
    assert state(app, offered)[0] is BookingStatus.CONFIRMED
    assert state(app, next_in_line)[0] is BookingStatus.OFFERED
    with app.app_context():
        assert check_ledger() == []
        session = db.session.get(EventSession, session_id)
        confirmed = db.session.scalars(
            select(Booking.seats).where(
                Booking.session_id == session_id, Booking.status == BookingStatus.CONFIRMED
            )
        ).all()
        held = db.session.scalars(
            select(Booking.seats).where(
                Booking.session_id == session_id, Booking.status == BookingStatus.OFFERED
            )
        ).all()
        assert session.seats_free == session.capacity - sum(confirmed) - sum(held) == 0


def test_seed_events_default_to_automatic_offers(app, runner):
    runner.invoke(args=["seed-demo"])
    with app.app_context():
        assert all(db.session.scalars(select(Event.waitlist_auto)))


def test_declining_needs_an_open_offer(app, client, make_session):
    session_id = make_session(capacity=2)
    booked = confirm(app, session_id, 2)
    assert "Oui, libérer les places" not in client.get(f"/b/{booked}/decline").get_data(
        as_text=True
    )
    token = form_fields(
        client.get(f"/b/{booked}/cancel").get_data(as_text=True)
    )  # a stale tab's token
    response = client.post(f"/b/{booked}/decline", data=token)
    assert response.status_code == 409
    assert "Aucune proposition de places" in response.get_data(as_text=True)
    assert state(app, booked) == (BookingStatus.CONFIRMED, 2)
    assert counters(app, session_id) == (2, 0, 0)


# ----------------------------------------------------------- a capacity lowered under a party


def passed_over(app, token: str) -> int:
    """How many times a waiting party has been passed over."""
    with app.app_context():
        return booking_service.get_by_token(token).passed_over


def test_a_party_too_large_for_a_lowered_capacity_is_told_and_the_list_moves_on(
    app, client, runner, staff_login, make_session, smtp
):
    """Capacity 10 → 5 under a waiting party of 6: it can never fit, it must not block the 2."""
    session_id = make_session(capacity=10, title="Exposition commentée")
    confirm(app, session_id, 4, "a")
    b = confirm(app, session_id, 2, "b")
    confirm(app, session_id, 2, "c")
    d = confirm(app, session_id, 1, "d")
    e = confirm(app, session_id, 1, "e")
    with app.app_context():  # the party of 6 reads English
        big = booking_service.join_waitlist(
            booking_service.BookingRequest(session_id, "Big", "big@example.fr", 6, locale="en")
        ).token
        db.session.commit()
    x = join(app, session_id, 1, "x")
    join(app, session_id, 1, "y")
    small = join(app, session_id, 2, "small")

    cancel(app, d)  # 1 seat: the 6 is passed over, x gets it
    cancel(app, e)  # 1 seat: the 6 is passed over again, y gets it
    assert passed_over(app, big) == 2
    cancel(
        app, booking_token_of(app, "a")
    )  # 4 seats: held for the 6 (rule 3 of docs/waiting-list.md)
    cancel(app, x)  # x declines: 5 seats free, still held for the 6
    assert state(app, small)[0] is BookingStatus.WAITING
    assert counters(app, session_id) == (5, 8, 0)  # « Complet » for the public

    organiser = staff_login(client, "organiser")
    csrf = form_fields(organiser.get(f"/admin/sessions/{session_id}").get_data(as_text=True))
    response = organiser.post(
        f"/admin/sessions/{session_id}/capacity",
        data={"csrf_token": csrf["csrf_token"], "capacity": "5"},
    )
    assert response.status_code == 303

    # Seats free up: the party of 2 gets them; the party of 6 does not hold them forever.
    cancel(app, b)
    assert state(app, small)[0] is BookingStatus.OFFERED
    assert counters(app, session_id) == (5, 0, 0)
    assert runner.invoke(args=["send-mail"]).exit_code == 0
    assert smtp.wait_for_mail("small@example.fr", "Des places se libèrent")

    # The party of 6 can never come in: it was told, and it left the list with the change.
    assert state(app, big) == (BookingStatus.CANCELLED, 6)
    with app.app_context():
        gone = booking_service.get_by_token(big)
        assert gone.ended_reason == "too_large"
        assert gone.cancelled_at is not None
        entry = db.session.scalar(
            select(AuditEntry).where(
                AuditEntry.action == "waitlist.too_large", AuditEntry.booking_id == gone.id
            )
        )
        assert entry is not None and entry.data["seats"] == 6 and entry.data["capacity"] == 5
    mail = smtp.wait_for_mail("big@example.fr", "Waiting list: your party is too large")
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "your party of 6 people can no longer fit in" in body
    assert f"/b/{big}" in body  # the manage link


def test_the_too_large_mail_points_to_the_event_s_other_sessions(app, make_session, smtp):
    session_id = make_session(capacity=5)
    with app.app_context():
        event_id = db.session.get(EventSession, session_id).event_id
        first = db.session.get(EventSession, session_id)
        for days, capacity in ((8, 10), (9, 3)):  # the second one is too small as well
            db.session.add(
                EventSession(
                    event_id=event_id,
                    starts_at=first.starts_at + timedelta(days=days),
                    ends_at=first.ends_at + timedelta(days=days),
                    capacity=capacity,
                )
            )
        db.session.commit()
        roomy, small = [
            s.id for s in db.session.get(Event, event_id).sessions if s.id != session_id
        ]
    confirm(app, session_id, 3, "a")
    confirm(app, session_id, 2, "b")
    big = join(app, session_id, 4, "big")
    pair = join(app, session_id, 2, "pair")
    cancel(app, booking_token_of(app, "b"))  # the 4 is passed over, the pair is offered
    cancel(app, booking_token_of(app, "a"))  # 3 free: still not enough for the 4
    with app.app_context():
        organiser.set_capacity(session_id, 3, actor="organiser@example.fr")
        db.session.commit()
        from app.services.mail import send_due

        send_due()
    assert state(app, big)[0] is BookingStatus.CANCELLED
    assert state(app, pair)[0] is BookingStatus.OFFERED
    body = smtp.wait_for_mail("big@example.fr", "Liste d’attente\u202f: votre groupe").get_body(
        preferencelist=("plain",)
    )
    text = body.get_content()
    assert "votre groupe de 4 personnes ne peut plus y entrer" in text
    assert f"/sessions/{roomy}" in text
    assert f"/sessions/{small}" not in text  # 3 seats in all: no room for 4 there either


def test_lowering_the_capacity_offers_what_the_departed_party_held(app, make_session):
    """The seats held for a party that can no longer fit go to the next party at once."""
    session_id = make_session(capacity=6)
    singles = [confirm(app, session_id, 1, f"s{i}") for i in range(6)]
    big = join(app, session_id, 6, "big")
    small = [join(app, session_id, 1, f"w{i}") for i in range(3)]
    cancel(app, singles[0])  # w0
    cancel(app, singles[1])  # w1; the 6 has now been passed over twice
    cancel(app, singles[2])
    cancel(app, singles[3])  # 2 seats held for the 6
    assert state(app, small[2])[0] is BookingStatus.WAITING
    with app.app_context():
        organiser.set_capacity(session_id, 5, actor="organiser@example.fr")
        db.session.commit()
    assert state(app, big)[0] is BookingStatus.CANCELLED
    assert state(app, small[2])[0] is BookingStatus.OFFERED
    assert counters(app, session_id) == (5, 0, 0)


def test_promote_never_holds_seats_for_a_party_larger_than_the_session(app, make_session):
    """Defence in depth: a party that cannot fit the session at all blocks nobody."""
    session_id = make_session(capacity=6)
    singles = [confirm(app, session_id, 1, f"s{i}") for i in range(6)]
    big = join(app, session_id, 6, "big")
    small = join(app, session_id, 1, "small")
    with app.app_context():
        db.session.execute(update(Booking).where(Booking.token == big).values(passed_over=2))
        db.session.commit()
    cancel(app, singles[0])  # the 6 fits the session: the seat is held for it
    assert state(app, small)[0] is BookingStatus.WAITING
    with app.app_context():  # a capacity lowered behind the service's back (a hand edit)
        db.session.execute(
            update(EventSession).where(EventSession.id == session_id).values(capacity=5)
        )
        db.session.commit()
    cancel(app, singles[1])
    assert state(app, small)[0] is BookingStatus.OFFERED
    assert counters(app, session_id) == (5, 6, 0)


def test_joining_with_a_party_larger_than_the_session_is_refused(
    app, client, make_session, book_form
):
    session_id = make_session(capacity=3)
    confirm(app, session_id, 3)
    response = client.post(
        f"/sessions/{session_id}",
        data={
            **book_form(session_id),
            "name": "Lise",
            "email": "lise@example.fr",
            "seats": "4",
            "action": "waitlist",
        },
    )
    assert response.status_code in (409, 422)
    assert "Cette séance n’a que 3 places en tout." in response.get_data(as_text=True)
    assert counters(app, session_id) == (3, 0, 0)


@pytest.mark.app_config(LIVE_COUNTER_CACHE_SECONDS=60)
def test_an_unchanged_poll_asks_nothing_until_an_open_offer_lapses(app, client, make_session):
    _session_id, first, second = offer_lapsing(app, make_session, timedelta(seconds=2))
    etag = client.get("/live/seats").headers["ETag"]
    with statements(app) as asked:
        assert client.get("/live/seats", headers={"If-None-Match": etag}).status_code == 304
    assert asked == [], "an unchanged poll before any deadline reads the database"
    time.sleep(2.2)  # the deadline passes and nothing else changes: the next poll sees it
    assert client.get("/live/seats", headers={"If-None-Match": etag}).status_code == 200
    assert state(app, first)[0] is BookingStatus.EXPIRED
    assert state(app, second)[0] is BookingStatus.OFFERED
