"""Check-in at the door, through the tablet's forms, on both databases."""

from __future__ import annotations

import json
import re
import threading
from datetime import datetime, timedelta
from html import unescape as html_unescape

import pytest
import requests
from sqlalchemy import func, select

from app.extensions import db
from app.models import Booking, BookingStatus, CheckIn, EventSession, StandbyEntry
from app.services import booking as booking_service
from app.services import door_day
from app.services.ledger import check_ledger
from app.timeutil import PARIS, paris, utcnow

from .conftest import STAFF_PASSWORD
from .helpers import form_fields


@pytest.fixture
def door(client, staff_login):
    """A client signed in as door staff."""
    return staff_login(client, "checkin", "door@mines-ales.fr")


def book(app, session_id, seats, who="Marie Curie", status="confirmed") -> Booking:
    """A booking made by an organiser (so no booking window applies); detached copy of its fields."""
    with app.app_context():
        request = booking_service.BookingRequest(
            session_id, who, f"{who.split()[0].lower()}@example.fr", seats, by_organiser=True
        )
        booking = (
            booking_service.book(request)
            if status == "confirmed"
            else booking_service.join_waitlist(request)
        )
        db.session.commit()
        return {"id": booking.id, "code": booking.ticket_code, "token": booking.token}


def token(door, session_id) -> str:
    """A CSRF token from the door page."""
    return form_fields(door.get(f"/checkin/sessions/{session_id}").get_data(as_text=True), "/scan")[
        "csrf_token"
    ]


def result(response) -> str:
    """The message of the board after an action."""
    match = re.search(
        r'class="door-result__message[^"]*"[^>]*>([^<]*)<', response.get_data(as_text=True)
    )
    return match.group(1).strip() if match else ""


def post(door, url, session_id, **data):
    """An htmx action from the tablet."""
    return door.post(
        url, data={"csrf_token": token(door, session_id), **data}, headers={"HX-Request": "true"}
    )


def seats_in(app, booking_id) -> int:
    """Checked-in seats of a booking."""
    with app.app_context():
        return db.session.get(Booking, booking_id).checked_in_seats


def test_scan_partial_check_in_and_undo(app, door, make_session):
    session_id = make_session(capacity=10, starts_in=timedelta(minutes=20))
    party = book(app, session_id, 3)
    typed = party["code"].lower().replace("-", " ")  # however it is typed
    partial = post(
        door,
        f"/checkin/sessions/{session_id}/bookings/{party['id']}",
        session_id,
        seats="2",
        nonce="a1",
    )
    assert partial.status_code == 200 and "2 places" in result(partial)
    assert seats_in(app, party["id"]) == 2
    rest = post(door, f"/checkin/sessions/{session_id}/scan", session_id, code=typed, nonce="a2")
    assert "Marie Curie, 1 place" in result(rest)
    assert seats_in(app, party["id"]) == 3
    with app.app_context():
        last = db.session.scalar(select(CheckIn).order_by(CheckIn.id.desc()))
        assert last.by == "door@mines-ales.fr"
    undone = post(door, f"/checkin/check-ins/{last.id}/undo", session_id, session=str(session_id))
    assert "Entrée annulée" in result(undone)
    assert seats_in(app, party["id"]) == 2


def test_a_retry_with_the_same_nonce_checks_in_once(app, door, make_session):
    session_id = make_session(capacity=10, starts_in=timedelta(minutes=20))
    party = book(app, session_id, 2)
    for _ in range(2):
        response = post(
            door,
            f"/checkin/sessions/{session_id}/bookings/{party['id']}",
            session_id,
            seats="1",
            nonce="same-tap",
        )
        assert response.status_code == 200
    assert seats_in(app, party["id"]) == 1


def test_tickets_for_another_session_used_or_cancelled_say_so(app, door, make_session):
    here = make_session(capacity=10, starts_in=timedelta(minutes=20))
    elsewhere = make_session(
        capacity=10, starts_in=timedelta(days=2), title="Randonnée sur Pallières"
    )
    other = book(app, elsewhere, 1, "Jean Moulin")
    wrong = post(door, f"/checkin/sessions/{here}/scan", here, code=other["code"], nonce="b1")
    assert (
        wrong.status_code == 409
        and "autre séance" in result(wrong)
        and "Pallières" in result(wrong)
    )

    used = book(app, here, 2, "Irène Curie")
    post(door, f"/checkin/sessions/{here}/scan", here, code=used["code"], nonce="b2")
    again = post(door, f"/checkin/sessions/{here}/scan", here, code=used["code"], nonce="b3")
    assert again.status_code == 409
    assert re.search(
        r"Déjà entrés\W+2 places à \d+\W+h(\W+\d+)? \(par door@mines-ales\.fr\)", result(again)
    )

    cancelled = book(app, here, 1, "Annulé Dupont")
    with app.app_context():
        booking_service.cancel(cancelled["token"])
        db.session.commit()
    refused = post(door, f"/checkin/sessions/{here}/scan", here, code=cancelled["code"], nonce="b4")
    assert refused.status_code == 409 and "annulé" in result(refused)
    unknown = post(door, f"/checkin/sessions/{here}/scan", here, code="ZZZZ-ZZZZ", nonce="b5")
    assert unknown.status_code == 404 and "Billet inconnu" in result(unknown)


def test_walk_ins_count_everywhere_and_stop_when_full(app, client, door, make_session):
    session_id = make_session(capacity=4, starts_in=timedelta(minutes=20))
    book(app, session_id, 2)
    walk_in = post(
        door, f"/checkin/sessions/{session_id}/walk-in", session_id, seats="2", name="", nonce="c1"
    )
    assert walk_in.status_code == 200 and "Sans réservation, 2 places" in result(walk_in)
    with app.app_context():
        session = db.session.get(EventSession, session_id)
        assert session.seats_taken == 4 and check_ledger() == []
    assert door.get(f"/api/sessions/{session_id}").get_json()["seats_left"] == 0
    full = post(door, f"/checkin/sessions/{session_id}/walk-in", session_id, seats="1", nonce="c2")
    assert full.status_code == 409 and "Plus aucune place libre." in result(full)
    not_a_number = post(
        door, f"/checkin/sessions/{session_id}/walk-in", session_id, seats="x", nonce="c3"
    )
    assert not_a_number.status_code == 422
    zero = post(door, f"/checkin/sessions/{session_id}/walk-in", session_id, seats="0", nonce="c4")
    assert zero.status_code == 422 and "Choisissez entre 1 et" in result(zero)


def test_releasing_no_shows_admits_the_door_queue_in_order(app, door, make_session):
    session_id = make_session(capacity=4, starts_in=timedelta(minutes=30))
    arrived = book(app, session_id, 2, "Arrivée Martin")
    absent = book(app, session_id, 2, "Absent Durand")
    post(door, f"/checkin/sessions/{session_id}/bookings/{arrived['id']}", session_id, nonce="d1")
    first = post(
        door,
        f"/checkin/sessions/{session_id}/standby",
        session_id,
        seats="2",
        name="Premier",
        nonce="d2",
    )
    post(
        door,
        f"/checkin/sessions/{session_id}/standby",
        session_id,
        seats="1",
        name="Second",
        nonce="d3",
    )
    assert "file d’attente de la porte" in result(first)

    too_early = post(door, f"/checkin/sessions/{session_id}/release", session_id)
    assert too_early.status_code == 409 and "Trop tôt" in result(too_early)

    with app.app_context():  # ten minutes before the start
        session = db.session.get(EventSession, session_id)
        session.starts_at = utcnow() + timedelta(minutes=9)
        db.session.commit()
    released = post(door, f"/checkin/sessions/{session_id}/release", session_id)
    assert "2 places libérées" in result(released)
    with app.app_context():
        entries = {e.name: e.status.value for e in db.session.scalars(select(StandbyEntry))}
        assert entries == {"Premier": "admitted", "Second": "waiting"}
        assert db.session.get(Booking, absent["id"]).status is BookingStatus.RELEASED
        assert check_ledger() == []

    late = post(
        door, f"/checkin/sessions/{session_id}/scan", session_id, code=absent["code"], nonce="d4"
    )
    assert late.status_code == 409 and "Plus aucune place libre." in result(late)
    with (
        app.app_context()
    ):  # someone leaves: a seat frees up, the latecomers can come in with 1 seat
        first_in = db.session.scalar(select(CheckIn).join(Booking).where(Booking.name == "Premier"))
        first_id = first_in.id
    post(door, f"/checkin/check-ins/{first_id}/undo", session_id, session=str(session_id))
    late = post(
        door,
        f"/checkin/sessions/{session_id}/bookings/{absent['id']}",
        session_id,
        seats="1",
        nonce="d5",
    )
    assert late.status_code == 200 and "Absent Durand, 1 place" in result(late)
    with app.app_context():
        assert check_ledger() == []


def test_without_javascript_every_action_is_a_plain_post(app, door, make_session):
    session_id = make_session(capacity=5, starts_in=timedelta(minutes=20))
    party = book(app, session_id, 2)
    response = door.post(
        f"/checkin/sessions/{session_id}/scan",
        data={"csrf_token": token(door, session_id), "code": party["code"]},
    )
    assert response.status_code == 303
    page = door.get(response.headers["Location"]).get_data(as_text=True)
    assert "Entrée enregistrée" in page


def test_two_tablets_checking_in_the_same_party_at_once(app, make_session, live_server):
    session_id = make_session(capacity=10, starts_in=timedelta(minutes=20))
    party = book(app, session_id, 3)
    from app.models import Role
    from app.services.accounts import create_user

    with app.app_context():
        for email in ("tablet1@mines-ales.fr", "tablet2@mines-ales.fr"):
            create_user(email, Role.CHECKIN, STAFF_PASSWORD)
        db.session.commit()
    tablets = []
    for email in ("tablet1@mines-ales.fr", "tablet2@mines-ales.fr"):
        http = requests.Session()
        fields = form_fields(http.get(f"{live_server}/login", timeout=10).text)
        http.post(
            f"{live_server}/login",
            data={**fields, "email": email, "password": STAFF_PASSWORD},
            timeout=10,
        )
        page = http.get(f"{live_server}/checkin/sessions/{session_id}", timeout=10).text
        tablets.append((http, form_fields(page, "/scan")["csrf_token"]))
    barrier = threading.Barrier(2)
    answers: list[tuple[int, str]] = []

    def scan(http, csrf, nonce):
        """Both tablets scan the same ticket at the same instant."""
        barrier.wait(timeout=10)
        response = http.post(
            f"{live_server}/checkin/sessions/{session_id}/scan",
            data={"csrf_token": csrf, "code": party["code"], "nonce": nonce},
            headers={"HX-Request": "true"},
            timeout=30,
        )
        match = re.search(r'class="door-result__message[^"]*"[^>]*>([^<]*)<', response.text)
        answers.append((response.status_code, match.group(1) if match else ""))

    threads = [
        threading.Thread(target=scan, args=(http, csrf, f"t{i}"))
        for i, (http, csrf) in enumerate(tablets)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(status for status, _ in answers) == [200, 409]
    second = next(message for status, message in answers if status == 409)
    assert "Déjà entrés" in second and "tablet" in second  # who did it first
    assert seats_in(app, party["id"]) == 3
    with app.app_context():
        assert (
            len(db.session.scalars(select(CheckIn).where(CheckIn.undone_at.is_(None))).all()) == 1
        )


def test_door_staff_stay_signed_in_all_day(app, door):
    cookie = next(c for c in door._cookies.values() if c.key == "session")
    assert cookie.expires is not None  # a permanent session, not a browser-session cookie
    assert app.permanent_session_lifetime.total_seconds() >= 12 * 3600


def test_the_door_page_has_one_set_of_counters_and_no_dashboard_links(app, door, make_session):
    session_id = make_session(capacity=5, starts_in=timedelta(minutes=20))
    html = door.get(f"/checkin/sessions/{session_id}").get_data(as_text=True)
    assert html.count('id="counters"') == 1
    assert "/admin/" not in html  # door staff only see what they may use


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "fr",
            {
                "door-app": {
                    "offline": [
                        "Hors ligne — %(num)d enregistrement en attente",
                        "Hors ligne — %(num)d enregistrements en attente",
                    ],
                    "undo": "Annuler l’entrée",
                },
                "camera-status": {
                    "data-opening": "Ouverture de la caméra…",
                    "data-ready": "Cadrez le QR code.",
                    "data-unavailable": "Caméra indisponible\u202f: saisissez le code.",
                },
            },
        ),
        (
            "en",
            {
                "door-app": {
                    "offline": [
                        "Offline — %(num)d record waiting",
                        "Offline — %(num)d records waiting",
                    ],
                    "undo": "Undo check-in",
                },
                "camera-status": {
                    "data-opening": "Opening the camera…",
                    "data-ready": "Frame the QR code.",
                    "data-unavailable": "Camera unavailable: type the code.",
                },
            },
        ),
    ],
)
def test_the_tablet_script_gets_its_words_from_the_page(door, make_session, language, words):
    """The door scripts hold no text: the page hands them the catalogue's words in its language."""
    session_id = make_session(capacity=5, starts_in=timedelta(minutes=20))
    door.get(f"/language/{language}")
    html = door.get(f"/checkin/sessions/{session_id}").get_data(as_text=True)
    for element_id, attributes in words.items():
        tag = re.search(rf'<[a-z]+ id="{element_id}"[^>]*>', html).group(0)
        if element_id == "door-app":  # the scripts' table of words, as JSON
            texts = json.loads(html_unescape(re.search(r'data-texts="([^"]*)"', tag).group(1)))
            assert {key: texts[key] for key in attributes} == attributes
            continue
        for name, text in attributes.items():
            assert f'{name}="{text}"' in tag, (name, tag)


def check_ins(app, session_id) -> list[tuple[int, int]]:
    """(booking id, seats) of every check-in still standing on a session."""
    with app.app_context():
        return sorted(
            (c.booking_id, c.seats)
            for c in db.session.scalars(
                select(CheckIn).where(CheckIn.session_id == session_id, CheckIn.undone_at.is_(None))
            )
        )


def test_a_nonce_reused_for_another_party_is_refused_and_changes_nothing(app, door, make_session):
    """A tablet that sent one nonce twice for two parties: the second is not silently the first."""
    session_id = make_session(capacity=10, starts_in=timedelta(minutes=20))
    first = book(app, session_id, 2, "Marie Curie")
    second = book(app, session_id, 3, "Pierre Curie")
    scan = f"/checkin/sessions/{session_id}/scan"
    assert post(door, scan, session_id, code=first["code"], nonce="reused").status_code == 200

    other_ticket = post(door, scan, session_id, code=second["code"], nonce="reused")
    assert other_ticket.status_code == 409
    assert "a déjà servi pour une autre action" in result(other_ticket)
    tap_partial = post(
        door,
        f"/checkin/sessions/{session_id}/bookings/{second['id']}",
        session_id,
        seats="1",
        nonce="reused",
    )
    assert tap_partial.status_code == 409
    other_seats = post(
        door,
        f"/checkin/sessions/{session_id}/bookings/{first['id']}",
        session_id,
        seats="1",
        nonce="reused",
    )
    assert other_seats.status_code == 409  # same party, another count: not the same tap
    walk_in = post(
        door, f"/checkin/sessions/{session_id}/walk-in", session_id, seats="2", nonce="reused"
    )
    assert walk_in.status_code == 409
    standby = post(
        door, f"/checkin/sessions/{session_id}/standby", session_id, seats="1", nonce="reused"
    )
    assert standby.status_code == 409

    assert check_ins(app, session_id) == [(first["id"], 2)]
    assert seats_in(app, second["id"]) == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StandbyEntry)) == 0
        assert db.session.scalars(select(Booking.source)).all().count("walkin") == 0
        assert db.session.get(EventSession, session_id).seats_taken == 5
        assert check_ledger() == []


def test_a_walk_in_nonce_reused_for_another_walk_in_is_refused(app, door, make_session):
    session_id = make_session(capacity=10, starts_in=timedelta(minutes=20))
    url = f"/checkin/sessions/{session_id}/walk-in"
    assert post(door, url, session_id, seats="2", name="Dupont", nonce="w").status_code == 200
    again = post(door, url, session_id, seats="1", name="Martin", nonce="w")
    assert again.status_code == 409 and "a déjà servi" in result(again)
    with app.app_context():
        assert db.session.scalars(select(Booking.name)).all() == ["Dupont"]
        assert db.session.get(EventSession, session_id).seats_taken == 2


@pytest.mark.parametrize("by", ["scan", "tap", "walk-in", "standby"])
def test_the_same_action_sent_twice_is_applied_once(app, door, make_session, by):
    """A retry of one action (the answer was lost): one check-in, the first answer again."""
    session_id = make_session(capacity=10, starts_in=timedelta(minutes=20))
    party = book(app, session_id, 3, "Lise Meitner")
    url, data = {
        "scan": (f"/checkin/sessions/{session_id}/scan", {"code": party["code"]}),
        "tap": (f"/checkin/sessions/{session_id}/bookings/{party['id']}", {"seats": "2"}),
        "walk-in": (f"/checkin/sessions/{session_id}/walk-in", {"seats": "2", "name": "Otto"}),
        "standby": (f"/checkin/sessions/{session_id}/standby", {"seats": "2", "name": "Otto"}),
    }[by]
    answers = [post(door, url, session_id, nonce="once", **data) for _ in range(2)]
    assert [a.status_code for a in answers] == [200, 200]
    assert result(answers[0]) == result(answers[1])
    with app.app_context():
        standing = db.session.scalars(select(CheckIn).where(CheckIn.undone_at.is_(None))).all()
        assert len(standing) == 1
        assert db.session.scalar(select(func.count()).select_from(Booking)) == (
            1 if by in ("scan", "tap") else 2
        )
        assert check_ledger() == []


def test_the_door_day_puts_the_current_or_next_session_first(app, door, make_session):
    """The sessions of the day: the one on now, then the later ones, then those over; no other day."""
    day = paris(utcnow()).date() + timedelta(days=7)

    def at(hour: int) -> datetime:
        return datetime(day.year, day.month, day.day, hour, tzinfo=PARIS)

    ids = {}
    for name, hour in (("over", 9), ("on now", 11), ("later", 15), ("next day", 33)):
        ids[name] = make_session(title=name)
        with app.app_context():
            session = db.session.get(EventSession, ids[name])
            session.starts_at = at(9) + timedelta(hours=hour - 9)
            session.ends_at = session.starts_at + timedelta(hours=1, minutes=30)
            db.session.commit()
    with app.app_context():
        listed = door_day.sessions_of(day, now=at(12))
        assert [f.session.id for f in listed.sessions] == [
            ids["on now"],
            ids["later"],
            ids["over"],
        ]
        assert listed.day == day and listed.now == at(12)
        assert door_day.sessions_of(None, now=at(12)).day == day  # today by default

    page = door.get(f"/checkin/?day={day.isoformat()}").get_data(as_text=True)
    titles = re.findall(r'class="door-session__title">([^<]*)<', page)
    assert titles == ["over", "on now", "later"]  # a week ahead, none is over yet
    assert door.get("/checkin/?day=not-a-day").status_code == 400
