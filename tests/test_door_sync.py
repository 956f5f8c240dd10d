"""The door's sync endpoint and day data, on both databases: the tablet back online."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Booking, CheckIn, DoorAction, EventSession, StandbyEntry, StandbyStatus
from app.services.ledger import check_ledger
from app.timeutil import utcnow

from .test_checkin import book, token


@pytest.fixture
def door(client, staff_login):
    """A client signed in as door staff."""
    return staff_login(client, "checkin", "door@mines-ales.fr")


def nonce() -> str:
    """A tablet's nonce for one action."""
    return uuid.uuid4().hex


def sync(door, session_id, actions, status=200):
    """Send a batch as the tablet does (JSON, CSRF token in a header); the answers."""
    response = door.post(
        "/checkin/sync",
        json={"actions": actions},
        headers={"X-CSRFToken": token(door, session_id)},
    )
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_json()


def standing(app, session_id):
    """(booking id, seats) of every check-in still standing, and the session's seats taken."""
    with app.app_context():
        rows = db.session.execute(
            select(CheckIn.booking_id, CheckIn.seats)
            .where(CheckIn.session_id == session_id, CheckIn.undone_at.is_(None))
            .order_by(CheckIn.id)
        ).all()
        taken = db.session.get(EventSession, session_id).seats_taken
        assert check_ledger() == []
        return [tuple(row) for row in rows], taken


def test_a_batch_is_applied_in_order_and_each_action_answered(app, door, make_session):
    session_id = make_session(capacity=10, starts_in=timedelta(minutes=30))
    marie, lise = book(app, session_id, 2), book(app, session_id, 3, "Lise Meitner")
    first, walk = nonce(), nonce()
    answers = sync(
        door,
        session_id,
        [
            {"nonce": first, "kind": "check_in", "session": session_id, "code": marie["code"]},
            {
                "nonce": nonce(),
                "kind": "check_in",
                "session": session_id,
                "booking": lise["id"],
                "seats": 1,
            },
            {"nonce": walk, "kind": "walk_in", "session": session_id, "seats": 2, "name": "Paul"},
            {"nonce": nonce(), "kind": "undo", "session": session_id, "target": first},
        ],
    )["results"]
    assert [a["outcome"] for a in answers] == ["done"] * 4
    assert "Marie Curie, 2 places" in answers[0]["message"]
    assert answers[3]["message"] == "Entrée annulée\u202f: Marie Curie."
    rows, taken = standing(app, session_id)
    assert [seats for _, seats in rows] == [1, 2]  # Lise's one seat, the walk-in's two
    assert taken == 2 + 3 + 2
