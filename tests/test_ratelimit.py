"""Rate limits per client address: booking, waiting list, sign-in, booking pages, API.

The rest of the suite runs with ``RATELIMIT_ENABLED=False`` (tests/conftest.py): it books
far more often than a person would. Here the limits are switched on and made tiny.
"""

from __future__ import annotations

import os
import time
import uuid

import pytest
from sqlalchemy import func, select

from app import create_app
from app.extensions import db, limiter
from app.models import Booking
from app.services import booking as booking_service

from .helpers import form_fields

TIGHT = {
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_BOOKING": "3/minute",
    "RATELIMIT_LOOKUP": "3/minute",
    "RATELIMIT_LOGIN": "2/minute",
    "RATELIMIT_API": "2/minute",
}


def party(index: int) -> dict[str, str]:
    """A different one-seat party each time (the per-person cap is not what is tested)."""
    return {"name": f"Visiteur {index}", "email": f"visiteur{index}@example.fr", "seats": "1"}


def post_booking(client, session_id: int, index: int, **extra: str):
    """Load the session's form as a browser does, then send it for party ``index``."""
    fields = form_fields(client.get(f"/sessions/{session_id}").get_data(as_text=True))
    return client.post(f"/sessions/{session_id}", data={**fields, **party(index), **extra})


def bookings(app) -> int:
    """How many bookings the database holds."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Booking))


def a_booking(app, session_id: int, email: str = "ada@example.fr") -> str:
    """Book directly through the service; return the booking's token."""
    with app.app_context():
        booking = booking_service.book(
            booking_service.BookingRequest(session_id, "Ada Lovelace", email, 1)
        )
        db.session.commit()
        return booking.token


def assert_our_429(response, *, language: str = "fr") -> None:
    """The app's own 429 page, with a Retry-After that a client can obey."""
    assert response.status_code == 429
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= 3600
    html = response.get_data(as_text=True)
    if language == "fr":
        assert "Trop de demandes" in html and "Patientez un instant" in html
    else:
        assert "Too many requests" in html
    assert 'class="error-page' in html  # our page, not Werkzeug's
    assert "Content-Security-Policy" in response.headers


@pytest.mark.app_config(**TIGHT)
def test_booking_posts_are_limited_per_address_then_allowed_again(app, client, make_session):
    first, second = make_session(capacity=50), make_session(capacity=50)
    # Different sessions share one bucket: hopping from session to session does not help.
    for index, session_id in enumerate((first, second, first)):
        assert post_booking(client, session_id, index).status_code == 303
    assert_our_429(post_booking(client, second, 9))
    assert bookings(app) == 3  # the refused form stored nothing
    # Reading the page is not limited (post_booking just loaded it): only sending the form.
    assert client.get(f"/sessions/{first}").status_code == 200

    with app.app_context():
        limiter.reset()  # the window has passed
    assert post_booking(client, second, 10).status_code == 303
    assert bookings(app) == 4


@pytest.mark.app_config(**TIGHT)
def test_joining_the_waiting_list_counts_in_the_same_bucket(app, client, make_session):
    full = make_session(capacity=1)
    a_booking(app, full)
    for index in range(3):
        assert post_booking(client, full, index, action="waitlist").status_code == 303
    assert_our_429(post_booking(client, full, 3, action="waitlist"))
    assert bookings(app) == 4  # the first booking and three waiting parties


@pytest.mark.app_config(**{**TIGHT, "RATELIMIT_LOOKUP": "2 per 2 second"})
def test_a_booking_page_opens_again_once_the_window_has_passed(app, client, make_session):
    token = a_booking(app, make_session())
    assert client.get(f"/b/{token}").status_code == 200
    assert client.get(f"/b/{token}").status_code == 200
    refused = client.get(f"/b/{token}")
    assert_our_429(refused)
    assert int(refused.headers["Retry-After"]) <= 2
    time.sleep(int(refused.headers["Retry-After"]) + 0.1)
    assert client.get(f"/b/{token}").status_code == 200


@pytest.mark.app_config(**TIGHT)
def test_every_page_under_a_token_shares_the_lookup_bucket(app, client, make_session):
    """Guessing tokens costs the same whichever sub-page is tried, found or not."""
    token = a_booking(app, make_session())
    assert client.get(f"/b/{token}/calendar.ics").status_code == 200
    assert client.get(f"/b/{'x' * 43}").status_code == 404
    assert client.get(f"/b/{token}/cancel").status_code == 200
    assert_our_429(client.get(f"/b/{token}"))
    assert_our_429(client.get(f"/b/{token}/erase"))


@pytest.mark.app_config(**TIGHT)
def test_sign_in_attempts_are_limited_but_the_page_is_not(app, client):
    fields = form_fields(client.get("/login").get_data(as_text=True))
    wrong = {**fields, "email": "someone@mines-ales.fr", "password": "not the password"}
    assert client.post("/login", data=wrong).status_code == 401
    assert client.post("/login", data=wrong).status_code == 401
    assert_our_429(client.post("/login", data=wrong))
    assert client.get("/login").status_code == 200


@pytest.mark.app_config(**TIGHT)
def test_the_api_answers_429_in_json_with_retry_after(client, make_session):
    session_id = make_session()
    assert client.get("/api/sessions").status_code == 200
    assert client.get(f"/api/sessions/{session_id}").status_code == 200
    refused = client.get("/api/sessions")
    assert refused.status_code == 429
    assert refused.is_json and refused.get_json()["error"]["status"] == 429
    assert int(refused.headers["Retry-After"]) >= 1
    # Health checks from the load balancer are never limited.
    assert all(client.get("/healthz").status_code == 200 for _ in range(5))


@pytest.mark.app_config(**TIGHT)
def test_the_live_poll_is_never_limited(app, client, make_session):
    session_id = make_session(capacity=50)
    for index in range(4):
        post_booking(client, session_id, index)
    # Every open page polls every few seconds: 30 polls in a row are all answered.
    statuses = {client.get("/live/seats").status_code for _ in range(30)}
    assert statuses <= {200, 304}


@pytest.mark.app_config(**TIGHT)
def test_the_429_page_speaks_english_and_htmx_gets_a_fragment(app, client, make_session):
    token = a_booking(app, make_session())
    for _ in range(3):
        client.get(f"/b/{token}")
    assert_our_429(client.get(f"/b/{token}", headers={"Accept-Language": "en"}), language="en")
    fragment = client.get(f"/b/{token}", headers={"HX-Request": "true"})
    assert fragment.status_code == 429
    html = fragment.get_data(as_text=True)
    assert "<html" not in html and 'class="error-message"' in html  # app.js shows it
    assert int(fragment.headers["Retry-After"]) >= 1


@pytest.mark.app_config(**TIGHT, PROXY_FIX_X_FOR=1)
def test_behind_the_proxy_each_visitor_has_their_own_bucket(app, client, make_session):
    token = a_booking(app, make_session())

    def visit(address: str) -> int:
        """A request relayed by the proxy for ``address``."""
        return client.get(f"/b/{token}", headers={"X-Forwarded-For": address}).status_code

    assert [visit("198.51.100.1") for _ in range(4)] == [200, 200, 200, 429]
    assert visit("198.51.100.2") == 200


@pytest.mark.app_config(**TIGHT)
def test_without_proxy_fix_a_forged_forwarded_for_changes_nothing(app, client, make_session):
    token = a_booking(app, make_session())
    for index in range(3):
        headers = {"X-Forwarded-For": f"203.0.113.{index}"}
        assert client.get(f"/b/{token}", headers=headers).status_code == 200
    assert client.get(f"/b/{token}", headers={"X-Forwarded-For": "203.0.113.99"}).status_code == 429


@pytest.mark.app_config(**{**TIGHT, "RATELIMIT_ENABLED": False, "RATELIMIT_LOOKUP": "1/minute"})
def test_ratelimit_enabled_false_switches_every_limit_off(app, client, make_session):
    session_id = make_session(capacity=50)
    token = a_booking(app, session_id)
    assert all(client.get(f"/b/{token}").status_code == 200 for _ in range(10))
    for index in range(6):
        assert post_booking(client, session_id, index).status_code == 303


@pytest.mark.app_config(**{**TIGHT, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0"})
def test_when_redis_is_down_pages_answer_and_limits_count_in_memory(app, client, make_session):
    """A Redis outage must not take bookings down with it."""
    token = a_booking(app, make_session())
    try:
        statuses = [client.get(f"/b/{token}").status_code for _ in range(4)]
    finally:
        # Flask-Limiter keeps "storage dead" on its process-wide object: the next test's
        # app must start with its own storage believed alive, as a fresh worker does.
        limiter._storage_dead = False
    assert statuses == [200, 200, 200, 429]


REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_or_skip():
    """A Redis client; without a server the test is skipped, or fails under ``CI=true``."""
    import redis

    server = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        server.ping()
    except redis.RedisError as error:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but no Redis at {REDIS_URL}: {error}")
        pytest.skip(f"no Redis at {REDIS_URL}: {error}")
    return server


@pytest.mark.app_config(
    **{**TIGHT, "RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_LOOKUP": "2/minute"}
)
def test_with_redis_every_worker_counts_in_the_same_place(app, make_session):
    """Counts live in Redis: a second app (another worker, or a restarted one) sees them."""
    server = redis_or_skip()
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    token = a_booking(app, make_session())
    try:
        first_worker = app.test_client()
        for _ in range(2):
            response = first_worker.get(f"/b/{token}", environ_base={"REMOTE_ADDR": address})
            assert response.status_code == 200
        assert server.keys(f"*{address}*"), "the counts should be in Redis"
        second_app = create_app(dict(app.config))
        second_worker = second_app.test_client()
        refused = second_worker.get(f"/b/{token}", environ_base={"REMOTE_ADDR": address})
        assert_our_429(refused)
        other = second_worker.get(f"/b/{token}", environ_base={"REMOTE_ADDR": "10.255.255.1"})
        assert other.status_code == 200
        with second_app.app_context():
            db.engine.dispose()
    finally:
        for key in server.keys(f"*{address}*") + server.keys("*10.255.255.1*"):
            server.delete(key)
