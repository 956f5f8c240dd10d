"""Seats never oversell: real threads book through the served app at the same instant."""

from __future__ import annotations

import threading
from collections import Counter

import requests

from app.extensions import db
from app.models import EventSession
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
