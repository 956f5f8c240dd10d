"""Booking through the public form: success, every bad input, closed sessions, full ones."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Booking, BookingStatus, EventSession
from app.services import booking as booking_service
from app.timeutil import utcnow

PARTY = {"name": "Marie Curie", "email": "Marie.Curie@Example.fr", "seats": "2"}


def stored(app: Any, session_id: int) -> tuple[int, int]:
    """(number of bookings, seats taken) for a session, read from the database."""
    with app.app_context():
        bookings = db.session.scalar(
            select(func.count()).select_from(Booking).where(Booking.session_id == session_id)
        )
        taken = db.session.get(EventSession, session_id).seats_taken
        return bookings, taken


def test_booking_redirects_to_its_own_page(app, client, make_session, book_form):
    session_id = make_session(capacity=10)
    response = client.post(f"/sessions/{session_id}", data={**book_form(session_id), **PARTY})

    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith("/b/")
    token = location.removeprefix("/b/")
    assert len(token) >= 43  # 256 bits, URL-safe base64
    page = client.get(location)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Marie Curie" in html
    assert "2 places" in html
    assert "Confirmée" in html
    assert page.headers["Cache-Control"] == "no-store"
    assert stored(app, session_id) == (1, 2)
    with app.app_context():
        booking = db.session.scalar(select(Booking))
        assert booking.email == "marie.curie@example.fr"
        assert booking.status is BookingStatus.CONFIRMED
        assert booking.ticket_code in html


def test_htmx_booking_answers_a_fragment_and_pushes_the_booking_url(
    app, client, make_session, book_form
):
    session_id = make_session(capacity=10)
    fields = book_form(session_id)
    response = client.post(
        f"/sessions/{session_id}",
        data={**fields, **PARTY},
        headers={"HX-Request": "true", "X-CSRFToken": fields["csrf_token"]},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html
    assert "C’est réservé" in html
    assert response.headers["HX-Push-Url"].startswith("/b/")
    # The session's badge comes along out-of-band, already counting the new seats.
    assert f'id="avail-{session_id}" data-hx-swap-oob="true"' in html
    assert "8 places" in html


@pytest.mark.parametrize(
    "capacity",
    [
        pytest.param(10, id="seats-left"),
        # The second copy finds the session full: it must still answer with the first
        # booking, not with « Complet » (the nonce is read together with the session).
        pytest.param(2, id="last-seats"),
    ],
)
def test_double_submit_of_the_same_form_books_once(app, client, make_session, book_form, capacity):
    session_id = make_session(capacity=capacity)
    data = {**book_form(session_id), **PARTY}
    first = client.post(f"/sessions/{session_id}", data=data)
    second = client.post(f"/sessions/{session_id}", data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert stored(app, session_id) == (1, 2)


def test_a_form_resent_to_another_session_books_there(app, client, make_session, book_form):
    here = make_session(capacity=10)
    there = make_session(capacity=10)
    data = {**book_form(here), **PARTY}
    assert client.post(f"/sessions/{here}", data=data).status_code == 303
    # Same nonce, other session: not a double click, a booking of its own.
    moved = client.post(f"/sessions/{there}", data=data)
    assert moved.status_code == 303
    assert stored(app, here) == (1, 2)
    assert stored(app, there) == (1, 2)


BAD_INPUT = [
    pytest.param({"name": ""}, "Indiquez votre nom.", id="empty-name"),
    pytest.param({"name": "   "}, "Indiquez votre nom.", id="blank-name"),
    pytest.param({"name": "x" * 10_000}, "ne doit pas dépasser 120 caractères", id="10kB-name"),
    pytest.param({"email": "pas-une-adresse"}, "n’est pas valide", id="bad-email"),
    pytest.param({"email": ""}, "Indiquez votre adresse e-mail.", id="empty-email"),
    pytest.param({"seats": "0"}, "Choisissez entre 1 et 6 places.", id="zero-seats"),
    pytest.param({"seats": "-2"}, "Choisissez entre 1 et 6 places.", id="negative-seats"),
    pytest.param({"seats": "7"}, "Choisissez entre 1 et 6 places.", id="too-many-seats"),
    pytest.param({"seats": "deux"}, "Indiquez un nombre de places", id="seats-not-a-number"),
    pytest.param({"seats": "2.5"}, "Indiquez un nombre de places", id="seats-not-whole"),
    pytest.param({"seats": ""}, "Indiquez le nombre de places.", id="seats-missing"),
    pytest.param({"phone": "0" * 200}, "Ce numéro est trop long.", id="long-phone"),
]


@pytest.mark.parametrize(("change", "message"), BAD_INPUT)
def test_bad_input_is_refused_next_to_its_field_and_nothing_is_stored(
    app, client, make_session, book_form, change, message
):
    session_id = make_session(capacity=10)
    response = client.post(
        f"/sessions/{session_id}", data={**book_form(session_id), **PARTY, **change}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    assert 'aria-invalid="true"' in html
    assert stored(app, session_id) == (0, 0)


def test_what_was_typed_is_kept_after_an_error(client, make_session, book_form):
    session_id = make_session(capacity=10)
    response = client.post(
        f"/sessions/{session_id}", data={**book_form(session_id), **PARTY, "seats": "99"}
    )
    html = response.get_data(as_text=True)
    assert 'value="Marie Curie"' in html
    assert 'value="Marie.Curie@Example.fr"' in html


def test_missing_csrf_token_is_refused_in_french(app, client, make_session, book_form):
    session_id = make_session(capacity=10)
    fields = book_form(session_id)
    fields.pop("csrf_token")
    response = client.post(f"/sessions/{session_id}", data={**fields, **PARTY})
    assert response.status_code == 400
    assert "jeton de sécurité" in response.get_data(as_text=True)
    assert stored(app, session_id) == (0, 0)


def test_unknown_session_is_a_404_in_french(client, make_session, book_form):
    fields = book_form(make_session())
    assert "Page introuvable" in client.get("/sessions/999999").get_data(as_text=True)
    response = client.post("/sessions/999999", data={**fields, **PARTY})
    assert response.status_code == 404
    assert "n’existe pas" in response.get_data(as_text=True)


@pytest.mark.app_config(BOOKING_MAX_SEATS=3)
def test_the_party_size_limit_is_configurable(app, client, make_session, book_form):
    session_id = make_session(capacity=10)
    response = client.post(
        f"/sessions/{session_id}", data={**book_form(session_id), **PARTY, "seats": "4"}
    )
    assert response.status_code == 422
    assert "Choisissez entre 1 et 3 places." in response.get_data(as_text=True)
    assert stored(app, session_id) == (0, 0)


CLOSED = [
    pytest.param(
        {"starts_in": timedelta(minutes=30)}, "closes pour cette séance", id="closes-before-start"
    ),
    pytest.param({"starts_in": timedelta(hours=-2)}, "déjà eu lieu", id="past"),
    pytest.param({"cancelled_at": utcnow()}, "annulée", id="cancelled"),
    pytest.param(
        {"booking_opens_at": utcnow() + timedelta(days=2)}, "ouvriront le", id="not-yet-open"
    ),
    pytest.param(
        {"booking_closes_at": utcnow() - timedelta(minutes=1)},
        "closes pour cette séance",
        id="explicit-close",
    ),
]


@pytest.mark.parametrize(("fields", "message"), CLOSED)
def test_sessions_that_cannot_be_booked_say_why_and_refuse_posts(
    app, client, make_session, book_form, fields, message
):
    form = book_form(make_session())  # a CSRF token from a bookable page
    session_id = make_session(capacity=10, **fields)
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert 'name="seats"' not in page  # no form to fill in vain
    response = client.post(f"/sessions/{session_id}", data={**form, **PARTY})
    assert response.status_code == 409
    assert message in response.get_data(as_text=True)
    assert stored(app, session_id) == (0, 0)


def test_a_party_that_does_not_fit_is_told_how_many_seats_are_left(
    app, client, make_session, book_form
):
    session_id = make_session(capacity=5)
    assert (
        client.post(
            f"/sessions/{session_id}", data={**book_form(session_id), **PARTY, "seats": "2"}
        ).status_code
        == 303
    )
    response = client.post(
        f"/sessions/{session_id}", data={**book_form(session_id), **PARTY, "seats": "4"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Il ne reste plus que 3\u00a0places" in html or "Il ne reste plus que 3 places" in html
    assert 'value="4"' in html  # the party size is kept so it can be lowered
    assert stored(app, session_id) == (1, 2)


def test_a_full_session_offers_the_waiting_list_instead_of_booking(
    app, client, make_session, book_form
):
    session_id = make_session(capacity=2)
    client.post(f"/sessions/{session_id}", data={**book_form(session_id), **PARTY, "seats": "2"})
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert "Complet – liste d’attente" in page
    assert "Confirmer la réservation" not in page
    assert 'name="action" value="waitlist"' in page


def test_htmx_refusal_swaps_the_panel_and_refreshes_the_badge(client, make_session, book_form):
    session_id = make_session(capacity=3)
    client.post(f"/sessions/{session_id}", data={**book_form(session_id), **PARTY, "seats": "2"})
    fields = book_form(session_id)
    response = client.post(
        f"/sessions/{session_id}",
        data={**fields, **PARTY, "seats": "2"},
        headers={"HX-Request": "true", "X-CSRFToken": fields["csrf_token"]},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 409  # swapped by htmx (responseHandling in base.html)
    assert 'id="booking-panel"' in html and "<html" not in html
    assert "Il ne reste plus qu’une place" in html
    assert f'id="avail-{session_id}" data-hx-swap-oob="true"' in html


# One person cannot take a whole session: at most BOOKING_MAX_SEATS_PER_EMAIL seats per
# address and session, bookings and waiting list together. (tests/conftest.py lifts the
# cap for the other tests, as it switches the rate limits off.)

PER_PERSON_RULE = "Une même personne ne peut pas réserver plus de 6 places pour une séance"


def send(client, book_form, session_id: int, email: str, seats: int, action: str = "book"):
    """Post the public form for ``seats`` seats under ``email``."""
    data = {**book_form(session_id), **PARTY, "email": email, "seats": str(seats)}
    return client.post(f"/sessions/{session_id}", data={**data, "action": action})


@pytest.mark.app_config(BOOKING_MAX_SEATS_PER_EMAIL=6)
def test_one_address_cannot_take_more_than_its_share_of_a_session(
    app, client, make_session, book_form
):
    session_id = make_session(capacity=30)
    assert send(client, book_form, session_id, "Marie.Curie@Example.fr", 4).status_code == 303
    refused = send(client, book_form, session_id, "  marie.curie@example.FR ", 3)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert PER_PERSON_RULE in html  # the rule, next to the seats field
    assert 'id="seats-error"' in html
    assert stored(app, session_id) == (1, 4)
    # Up to the cap is fine, and another address has its own share.
    assert send(client, book_form, session_id, "marie.curie@example.fr", 2).status_code == 303
    assert send(client, book_form, session_id, "pierre@example.fr", 6).status_code == 303
    assert stored(app, session_id) == (3, 12)
    # Other sessions are counted apart.
    assert send(client, book_form, make_session(), "marie.curie@example.fr", 6).status_code == 303


@pytest.mark.app_config(BOOKING_MAX_SEATS_PER_EMAIL=6)
def test_the_waiting_list_counts_towards_the_cap_and_cancelled_seats_do_not(
    app, client, make_session, book_form
):
    session_id = make_session(capacity=6)
    assert send(client, book_form, session_id, "pierre@example.fr", 6).status_code == 303
    waiting = send(client, book_form, session_id, "marie@example.fr", 5, "waitlist")
    assert waiting.status_code == 303
    refused = send(client, book_form, session_id, "marie@example.fr", 2, "waitlist")
    assert refused.status_code == 409 and PER_PERSON_RULE in refused.get_data(as_text=True)
    token = waiting.headers["Location"].removeprefix("/b/")
    with app.app_context():
        booking_service.cancel(token)
        db.session.commit()
    assert send(client, book_form, session_id, "marie@example.fr", 6, "waitlist").status_code == 303


@pytest.mark.app_config(BOOKING_MAX_SEATS_PER_EMAIL=2)
def test_the_cap_is_configurable_and_organisers_are_trusted_with_groups(
    app, client, make_session, book_form
):
    session_id = make_session(capacity=20)
    assert send(client, book_form, session_id, "prof@example.fr", 2).status_code == 303
    refused = send(client, book_form, session_id, "prof@example.fr", 1)
    assert "plus de 2 places pour une séance" in refused.get_data(as_text=True)
    with app.app_context():  # a class booked by phone through the organisers
        booking_service.book(
            booking_service.BookingRequest(
                session_id, "Classe de 4e B", "prof@example.fr", 12, by_organiser=True
            ),
            actor="organiser@mines-ales.fr",
        )
        db.session.commit()
    assert stored(app, session_id) == (2, 14)


@pytest.mark.app_config(BOOKING_MAX_SEATS=6, BOOKING_MAX_SEATS_PER_EMAIL=2)
def test_the_form_proposes_no_larger_party_than_one_address_may_hold(
    client, make_session, book_form
):
    session_id = make_session(capacity=20)
    html = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert 'max="2"' in html and "Jusqu’à 2 places par réservation." in html
    full_id = make_session(capacity=2)
    assert send(client, book_form, full_id, "pierre@example.fr", 2).status_code == 303
    html = client.get(f"/sessions/{full_id}").get_data(as_text=True)
    assert 'name="action" value="waitlist"' in html  # the waiting list's form, same cap
    assert 'max="2"' in html and "Jusqu’à 2 places par réservation." in html


def test_the_cap_is_six_seats_unless_configured(monkeypatch, tmp_path):
    from app.config import from_environment

    monkeypatch.delenv("BOOKING_MAX_SEATS_PER_EMAIL", raising=False)
    assert from_environment(str(tmp_path))["BOOKING_MAX_SEATS_PER_EMAIL"] == 6
    monkeypatch.setenv("BOOKING_MAX_SEATS_PER_EMAIL", "4")
    assert from_environment(str(tmp_path))["BOOKING_MAX_SEATS_PER_EMAIL"] == 4
