"""The read-only JSON API and the health check."""

from __future__ import annotations

from datetime import datetime

PARTY = {"name": "Irène Joliot-Curie", "email": "irene@example.fr", "seats": "3"}


def test_sessions_list_has_the_documented_fields(client, make_session, book_form):
    session_id = make_session(capacity=10)
    client.post(f"/sessions/{session_id}", data={**book_form(session_id), **PARTY})
    data = client.get("/api/sessions").get_json()
    assert isinstance(data, list) and len(data) == 1
    item = data[0]
    for key in (
        "id",
        "event",
        "kind",
        "starts_at",
        "ends_at",
        "venue",
        "capacity",
        "seats_left",
        "booking_open",
        "url",
    ):
        assert key in item
    assert item["seats_left"] == 7
    assert item["booking_open"] is True
    assert item["url"].endswith(f"/sessions/{session_id}")
    starts = datetime.fromisoformat(item["starts_at"])
    assert starts.utcoffset() is not None  # ISO 8601 with its offset


def test_one_session_and_unknown_session(client, make_session):
    session_id = make_session(capacity=4)
    assert client.get(f"/api/sessions/{session_id}").get_json()["capacity"] == 4
    missing = client.get("/api/sessions/424242")
    assert missing.status_code == 404
    assert missing.get_json()["error"]["status"] == 404


def test_healthz_round_trips_to_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
