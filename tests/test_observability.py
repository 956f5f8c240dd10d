"""The request log, the request id, and the Prometheus metrics (app/observability.py, metrics.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.extensions import db
from app.models import BookingStatus
from app.timeutil import utcnow

ROOT = Path(__file__).resolve().parent.parent
PARTY = {"name": "Ada Lovelace", "email": "ada@example.fr", "seats": "1"}


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a metrics page, by name and sorted labels."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def scrape(client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Read /metrics as Prometheus does (straight to the app, from loopback)."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    return samples(response.get_data(as_text=True))


def value(found, name: str, **labels: str) -> float:
    """One sample's value, 0 when the page does not have it."""
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def json_lines(text: str) -> list[dict]:
    """The JSON request lines among what was written to standard error."""
    lines = []
    for line in text.splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


# ----------------------------------------------------------------------- request id


def test_every_answer_carries_a_request_id_and_keeps_the_proxys(client):
    made = client.get("/healthz").headers["X-Request-ID"]
    assert len(made) >= 16
    assert client.get("/healthz").headers["X-Request-ID"] != made
    given = "0123456789abcdef0123456789abcdef"
    assert client.get("/healthz", headers={"X-Request-ID": given}).headers["X-Request-ID"] == given
    # Something that does not look like an id is not written to the log: a new one is made.
    odd = client.get("/healthz", headers={"X-Request-ID": 'x", "status": 500'})
    assert odd.headers["X-Request-ID"] not in ('x", "status": 500', "")


@pytest.mark.app_config(REQUEST_LOG=True)
def test_one_json_line_per_request_names_the_route_not_the_secret_path(
    app, client, make_session, book_form, capsys
):
    session_id = make_session()
    capsys.readouterr()
    booked = client.post(f"/sessions/{session_id}", data={**book_form(session_id), **PARTY})
    token_path = booked.headers["Location"]
    capsys.readouterr()
    page = client.get(token_path, headers={"X-Request-ID": "req-1234567890"})
    assert page.status_code == 200
    lines = json_lines(capsys.readouterr().err)
    assert len(lines) == 1
    line = lines[0]
    assert line["request_id"] == "req-1234567890"
    assert line["method"] == "GET" and line["status"] == 200
    assert line["route"] == "/b/<token>"
    assert line["client"] == "127.0.0.1"
    assert line["duration_ms"] >= 0
    # The booking's secret link is never written down.
    secret = token_path.rsplit("/", 1)[-1]
    assert secret not in json.dumps(line)


@pytest.mark.app_config(REQUEST_LOG=False)
def test_the_request_log_can_be_switched_off(client, capsys):
    capsys.readouterr()
    client.get("/healthz")
    assert json_lines(capsys.readouterr().err) == []


# ----------------------------------------------------------------------- who may scrape


def test_metrics_answer_only_straight_from_an_allowed_address(client):
    assert client.get("/metrics").status_code == 200
    # Through nginx (it always adds X-Forwarded-For): nothing there.
    assert client.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 404
    # From another machine: nothing there either.
    outside = client.get("/metrics", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert outside.status_code == 404


@pytest.mark.app_config(METRICS_ALLOW_FROM=["10.0.0.0/8"], PROXY_FIX_X_FOR=1)
def test_the_allowed_networks_are_a_setting_and_proxyfix_cannot_fake_them(client):
    inside = client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert inside.status_code == 200
    assert client.get("/metrics").status_code == 404  # loopback is no longer listed
    # A forwarded address from the allowed network does not make an outsider an insider.
    forged = client.get(
        "/metrics",
        headers={"X-Forwarded-For": "10.1.2.3"},
        environ_base={"REMOTE_ADDR": "192.0.2.7"},
    )
    assert forged.status_code == 404


# ----------------------------------------------------------------------- what is counted


def test_bookings_refusals_and_latency_are_counted(app, client, make_session, book_form):
    session_id = make_session(capacity=1)
    before = scrape(client)
    assert (
        client.post(f"/sessions/{session_id}", data={**book_form(session_id), **PARTY}).status_code
        == 303
    )
    refused = client.post(
        f"/sessions/{session_id}",
        data={**book_form(session_id), **PARTY, "email": "bob@example.fr", "seats": "1"},
    )
    assert refused.status_code == 409
    after = scrape(client)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("minerales_bookings_total", status="confirmed") == 1
    assert grew("minerales_refusals_total", reason="session_full") == 1
    route = "/sessions/<session_id>"
    assert (
        grew(
            "minerales_http_request_duration_seconds_count",
            method="POST",
            route=route,
            status="303",
        )
        == 1
    )
    assert (
        grew(
            "minerales_http_request_duration_seconds_bucket",
            method="POST",
            route=route,
            status="409",
            le="+Inf",
        )
        == 1
    )
    assert value(after, "minerales_bookings", status="confirmed") == 1


def test_a_booking_rolled_back_is_not_counted(app, client, make_session):
    from app.services import booking as booking_service

    session_id = make_session()
    before = scrape(client)
    with app.app_context():
        booking_service.book(booking_service.BookingRequest(session_id, "Ada", "a@example.fr", 1))
        db.session.rollback()
    after = scrape(client)
    assert value(after, "minerales_bookings_total", status="confirmed") == value(
        before, "minerales_bookings_total", status="confirmed"
    )


def test_outbox_backlog_oldest_mail_and_open_offers_come_from_the_database(
    app, client, make_session
):
    from app.services import booking as booking_service

    empty = scrape(client)
    assert value(empty, "minerales_outbox_backlog_messages") == 0
    assert value(empty, "minerales_outbox_oldest_pending_age_seconds") == 0
    assert value(empty, "minerales_waitlist_offers_open") == 0

    session_id = make_session()
    app.config["MAIL_SEND_AFTER_COMMIT"] = False
    with app.app_context():
        booking = booking_service.book(
            booking_service.BookingRequest(session_id, "Ada", "a@example.fr", 1)
        )
        db.session.commit()
        from app.models import OutboxMessage

        for message in db.session.scalars(db.select(OutboxMessage)):
            message.created_at = utcnow() - timedelta(minutes=5)
        for email, expires in (("l@example.fr", 2 * 60), ("o@example.fr", -1)):
            party = booking_service.book(
                booking_service.BookingRequest(session_id, "Lise", email, 1)
            )
            party.status = BookingStatus.OFFERED
            party.offer_expires_at = utcnow() + timedelta(minutes=expires)
        db.session.commit()
        assert booking.id
    found = scrape(client)
    assert value(found, "minerales_outbox_backlog_messages") >= 1
    assert 290 <= value(found, "minerales_outbox_oldest_pending_age_seconds") < 400
    assert value(found, "minerales_waitlist_offers_open") == 1  # the lapsed one is not open


# ----------------------------------------------------------------------- several workers


WORKER = """
import sys
from app.metrics import BOOKINGS, observe_request
BOOKINGS.labels(status="confirmed").inc(int(sys.argv[1]))
observe_request("GET", "/live/seats", 304, 0.003)
"""


def test_metrics_add_up_every_worker_process(app, client, tmp_path, monkeypatch):
    """Each gunicorn worker writes its own files; /metrics sums them, dead workers included."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    for count in (2, 5):
        subprocess.run(
            [sys.executable, "-c", WORKER, str(count)], env=env, check=True, cwd=ROOT, timeout=60
        )
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    found = scrape(client)
    assert value(found, "minerales_bookings_total", status="confirmed") == 7
    assert (
        value(
            found,
            "minerales_http_request_duration_seconds_count",
            method="GET",
            route="/live/seats",
            status="304",
        )
        == 2
    )
    # The database's figures are still there, read once, not per worker.
    assert ("minerales_waitlist_offers_open", ()) in found


def test_a_made_up_method_is_counted_as_other_not_as_a_label_of_its_own(client):
    # Clients choose the method: each new label value would be a new time series.
    client.open("/healthz", method="BREW")
    client.open("/healthz", method="XYZZY")
    found = scrape(client)
    methods = {
        dict(labels).get("method")
        for name, labels in found
        if name == "minerales_http_request_duration_seconds_count"
    }
    assert "other" in methods
    assert not methods & {"BREW", "XYZZY"}
