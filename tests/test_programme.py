"""The programme page, its filter and the live seat counts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app import create_app
from app.extensions import db
from app.models import EventKind
from app.services import booking as booking_service

PARTY = {"name": "Louis Pasteur", "email": "louis@example.fr"}


def test_programme_groups_sessions_by_day_with_their_seats(client, make_session, book_form):
    visit = make_session(capacity=20, starts_in=timedelta(days=7))
    film = make_session(
        capacity=10,
        starts_in=timedelta(days=8),
        kind=EventKind.FILM,
        title="La mine au Bois d’argent",
    )
    client.post(f"/sessions/{film}", data={**book_form(film), **PARTY, "seats": "6"})
    client.post(f"/sessions/{film}", data={**book_form(film), **PARTY, "seats": "2"})

    html = client.get("/").get_data(as_text=True)
    assert html.count('class="day__title"') == 2
    assert "Exposition commentée" in html and "La mine au Bois d’argent" in html
    assert f'id="avail-{visit}"' in html and "20 places" in html
    assert "Dernières places" in html  # 2 of 10 left
    assert 'lang="fr"' in html


def test_a_full_session_reads_complet(client, make_session, book_form):
    session_id = make_session(capacity=3)
    client.post(f"/sessions/{session_id}", data={**book_form(session_id), **PARTY, "seats": "3"})
    assert "Complet" in client.get("/").get_data(as_text=True)


def test_filter_by_kind_works_without_javascript_and_as_a_fragment(client, make_session):
    make_session(kind=EventKind.VISIT, title="Exposition commentée")
    make_session(kind=EventKind.HIKE, title="Randonnée sur Pallières")
    page = client.get("/?kind=hike").get_data(as_text=True)
    assert "Randonnée sur Pallières" in page and "Exposition commentée" not in page
    assert "<html" in page
    fragment = client.get("/?kind=hike", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and "Randonnée sur Pallières" in fragment


def test_unknown_filter_is_a_400(client):
    assert client.get("/?kind=opera").status_code == 400


def test_the_page_polls_once_for_all_its_sessions(client, make_session):
    for _ in range(3):
        make_session()
    html = client.get("/").get_data(as_text=True)
    assert html.count("data-live-poll") == 1
    assert 'data-hx-trigger="every 1s"' in html  # LIVE_POLL_SECONDS in the tests


def test_live_seats_answers_304_until_a_seat_moves(client, make_session, book_form):
    session_id = make_session(capacity=10)
    first = client.get("/live/seats")
    etag = first.headers["ETag"]
    assert first.status_code == 200
    assert f'id="avail-{session_id}" data-hx-swap-oob="true"' in first.get_data(as_text=True)

    unchanged = client.get("/live/seats", headers={"If-None-Match": etag})
    assert unchanged.status_code == 304
    assert unchanged.get_data() == b""

    client.post(f"/sessions/{session_id}", data={**book_form(session_id), **PARTY, "seats": "4"})
    changed = client.get("/live/seats", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert "6 places" in changed.get_data(as_text=True)


def test_the_etag_is_the_same_for_every_worker(app, make_session):
    """Two app instances (two gunicorn workers) on one database agree on the ETag."""
    make_session()
    other_worker = create_app(dict(app.config))
    first = app.test_client().get("/live/seats").headers["ETag"]
    second = other_worker.test_client().get("/live/seats").headers["ETag"]
    assert first == second


def test_another_workers_change_shows_within_the_counter_cache_time(app, make_session, monkeypatch):
    """A worker keeps the counter it read for a second; another worker's booking then shows."""
    from types import SimpleNamespace

    from app.services import ledger

    clock = SimpleNamespace(now=1000.0)
    monkeypatch.setattr(ledger, "time", SimpleNamespace(monotonic=lambda: clock.now))
    session_id = make_session(capacity=10)
    this_worker = app.test_client()
    etag = this_worker.get("/live/seats").headers["ETag"]

    other_worker = create_app(dict(app.config))
    with other_worker.app_context():
        booking_service.book(booking_service.BookingRequest(session_id, "Ada", "ada@example.fr", 3))
        db.session.commit()

    assert this_worker.get("/live/seats", headers={"If-None-Match": etag}).status_code == 304
    clock.now += app.config["LIVE_COUNTER_CACHE_SECONDS"] + 0.01
    fresh = this_worker.get("/live/seats", headers={"If-None-Match": etag})
    assert fresh.status_code == 200
    assert "7 places" in fresh.get_data(as_text=True)


@pytest.mark.parametrize("query", ["?kind=film", "?event=1"])
def test_live_seats_can_be_scoped(client, make_session, query):
    make_session()
    response = client.get(f"/live/seats{query}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"


def test_session_page_shows_details_and_a_labelled_form(client, make_session):
    session_id = make_session(capacity=12)
    html = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    for name in ("name", "email", "seats", "csrf_token"):
        assert f'name="{name}"' in html
    assert '<label class="field__label" for="name">' in html
    assert "12 places" in html
    assert "Accès de plain-pied." in html
