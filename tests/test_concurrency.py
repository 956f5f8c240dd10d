"""Seats never oversell: real threads book through the served app at the same instant."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
import requests
from sqlalchemy import func, select

from app.extensions import db
from app.models import Booking, EventSession
from app.services import booking as booking_service
from app.services.ledger import check_ledger

from .helpers import form_fields

THREADS = 100


def test_100_threads_race_for_the_last_10_seats(app, make_session, live_server):
    session_id = make_session(capacity=30)
    with app.app_context():
        for index in range(4):  # 20 of 30 seats already gone
            booking_service.book(
                booking_service.BookingRequest(
                    session_id, f"Early {index}", f"early{index}@example.fr", 5
                )
            )
        db.session.commit()

    url = f"{live_server}/sessions/{session_id}"
    clients = []
    for _ in range(THREADS):
        http = requests.Session()
        clients.append((http, form_fields(http.get(url, timeout=30).text)))

    barrier = threading.Barrier(THREADS)
    statuses: list[int] = []
    lock = threading.Lock()

    def book_one(http: requests.Session, fields: dict[str, str], index: int) -> None:
        """Wait for every thread, then post a one-seat booking."""
        data = {**fields, "name": f"Visitor {index}", "email": f"v{index}@example.fr", "seats": "1"}
        barrier.wait(timeout=60)
        response = http.post(url, data=data, allow_redirects=False, timeout=60)
        with lock:
            statuses.append(response.status_code)

    threads = [
        threading.Thread(target=book_one, args=(http, fields, i))
        for i, (http, fields) in enumerate(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    counts = Counter(statuses)
    assert len(statuses) == THREADS
    assert counts[303] == 10, counts
    assert counts[409] == THREADS - 10, counts
    with app.app_context():
        assert db.session.get(EventSession, session_id).seats_taken == 30
        assert check_ledger() == []


def race(url: str, forms: list[tuple[requests.Session, dict[str, str]]]) -> list[requests.Response]:
    """POST every (client, form) at the same instant; return the responses in order."""
    barrier = threading.Barrier(len(forms))
    responses: list[requests.Response | None] = [None] * len(forms)

    def post(index: int) -> None:
        """Wait for the others, then send one form."""
        http, data = forms[index]
        barrier.wait(timeout=60)
        responses[index] = http.post(url, data=data, allow_redirects=False, timeout=60)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(forms))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(response is not None for response in responses)
    return responses  # type: ignore[return-value]


def test_one_form_sent_many_times_at_once_books_once(app, make_session, live_server):
    """A double (or tenfold) click: every copy gets the one booking, seats are taken once."""
    session_id = make_session(capacity=30)
    url = f"{live_server}/sessions/{session_id}"
    http = requests.Session()
    form = {**form_fields(http.get(url, timeout=30).text), "name": "Ada", "seats": "3"}
    form["email"] = "ada@example.fr"
    copies = []
    for _ in range(10):
        copy = requests.Session()
        copy.cookies.update(http.cookies)  # the same browser: same cookie, same token
        copies.append((copy, form))

    responses = race(url, copies)

    assert {response.status_code for response in responses} == {303}
    assert len({response.headers["Location"] for response in responses}) == 1
    with app.app_context():
        session = db.session.get(EventSession, session_id)
        assert session.seats_taken == 3
        assert db.session.scalar(select(func.count()).select_from(Booking)) == 1
        assert check_ledger() == []


@pytest.mark.app_config(BOOKING_MAX_SEATS_PER_EMAIL=6)
def test_one_address_racing_itself_stays_within_its_share(app, make_session, live_server):
    """Six forms of two seats from one address at once: three get in, never more."""
    session_id = make_session(capacity=30)
    url = f"{live_server}/sessions/{session_id}"
    forms = []
    for _ in range(6):
        http = requests.Session()
        fields = form_fields(http.get(url, timeout=30).text)
        forms.append((http, {**fields, "name": "Bob", "email": "bob@example.fr", "seats": "2"}))

    responses = race(url, forms)

    statuses = Counter(response.status_code for response in responses)
    assert statuses == {303: 3, 409: 3}, statuses
    with app.app_context():
        assert db.session.get(EventSession, session_id).seats_taken == 6
        assert check_ledger() == []
