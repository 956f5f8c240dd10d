"""The booking's own page and cancellation: never on GET, seats freed at once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, Booking, BookingStatus, EventSession
from app.timeutil import utcnow

from .helpers import form_fields

PARTY = {"name": "Ada Lovelace", "email": "ada@example.org", "seats": "3"}


def book(client, session_id, book_form) -> str:
    """Book through the form; return the booking page's path."""
    response = client.post(f"/sessions/{session_id}", data={**book_form(session_id), **PARTY})
    assert response.status_code == 303
    return response.headers["Location"]


def test_get_on_the_cancel_page_only_asks_for_confirmation(app, client, make_session, book_form):
    session_id = make_session(capacity=10)
    booking_url = book(client, session_id, book_form)
    response = client.get(f"{booking_url}/cancel")
    assert response.status_code == 200
    assert "Oui, annuler" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Booking)).status is BookingStatus.CONFIRMED
        assert db.session.get(EventSession, session_id).seats_taken == 3


def test_cancelling_frees_the_seats_at_once(app, client, make_session, book_form):
    session_id = make_session(capacity=10)
    booking_url = book(client, session_id, book_form)
    fields = form_fields(client.get(f"{booking_url}/cancel").get_data(as_text=True))
    response = client.post(f"{booking_url}/cancel", data=fields)
    assert response.status_code == 303
    assert response.headers["Location"] == booking_url
    page = client.get(booking_url).get_data(as_text=True)
    assert "Annulée" in page
    assert "Annuler la réservation" not in page
    with app.app_context():
        assert db.session.get(EventSession, session_id).seats_taken == 0
        actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert actions == ["booking.confirmed", "booking.cancelled"]
    assert "10 places" in client.get(f"/sessions/{session_id}").get_data(as_text=True)


def test_cancelling_twice_says_it_is_already_cancelled(app, client, make_session, book_form):
    session_id = make_session(capacity=10)
    booking_url = book(client, session_id, book_form)
    fields = form_fields(client.get(f"{booking_url}/cancel").get_data(as_text=True))
    client.post(f"{booking_url}/cancel", data=fields)
    again = client.post(f"{booking_url}/cancel", data=fields)
    assert again.status_code == 409
    assert "déjà annulée" in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(EventSession, session_id).seats_taken == 0


def test_cancel_without_csrf_token_changes_nothing(app, client, make_session, book_form):
    session_id = make_session(capacity=10)
    booking_url = book(client, session_id, book_form)
    assert client.post(f"{booking_url}/cancel", data={}).status_code == 400
    with app.app_context():
        assert db.session.get(EventSession, session_id).seats_taken == 3


def test_a_started_session_cannot_be_cancelled(app, client, make_session, book_form):
    session_id = make_session(capacity=10)
    booking_url = book(client, session_id, book_form)
    with app.app_context():
        session = db.session.get(EventSession, session_id)
        session.starts_at = utcnow() - timedelta(minutes=5)
        session.ends_at = utcnow() + timedelta(minutes=55)
        db.session.commit()
    fields = form_fields(client.get(f"{booking_url}/cancel").get_data(as_text=True))
    response = client.post(
        f"{booking_url}/cancel",
        data=fields or {"csrf_token": _token(client, make_session, book_form)},
    )
    assert response.status_code == 409
    assert "La séance a commencé" in response.get_data(as_text=True)


def _token(client, make_session, book_form) -> str:
    """A CSRF token from any bookable page."""
    return book_form(make_session())["csrf_token"]


def test_unknown_or_malformed_tokens_are_404(client):
    assert client.get("/b/" + "A" * 43).status_code == 404
    assert client.get("/b/short").status_code == 404
    assert client.get("/b/" + "A" * 500).status_code == 404
