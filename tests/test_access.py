"""Every staff route, found in app.url_map, is protected: a route added later unprotected fails here."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import Booking, EventSession
from app.services import booking as booking_service
from app.services import checkin

from .helpers import form_fields

STAFF_BLUEPRINTS = ("admin.", "checkin.")
# Who may use each area; admins may use everything.
AREA_ROLES = {"admin.": {"organiser", "admin"}, "checkin.": {"checkin", "organiser", "admin"}}
ADMIN_ONLY = {"admin.audit_log", "admin.staff"}


def staff_rules(app):
    """The URL rules of the staff blueprints."""
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith(STAFF_BLUEPRINTS)]


def allowed_roles(endpoint: str) -> set[str]:
    """The roles that may open ``endpoint``."""
    if endpoint in ADMIN_ONLY:
        return {"admin"}
    return next(roles for prefix, roles in AREA_ROLES.items() if endpoint.startswith(prefix))


@pytest.fixture
def sample_ids(app, make_session):
    """Ids to fill rule arguments with: a session, its event, a booking."""
    session_id = make_session(capacity=10)
    with app.app_context():
        booking = booking_service.book(
            booking_service.BookingRequest(session_id, "Ada", "ada@example.fr", 2)
        )
        db.session.commit()
        event_id = db.session.get(EventSession, session_id).event_id
        entry = checkin.check_in(session_id, booking_id=booking.id, seats=1, actor="setup")
        standby = checkin.add_standby(session_id, 10, "Nobody", actor="setup")  # waits: 9 free
        db.session.commit()
        return {
            "session_id": session_id,
            "event_id": event_id,
            "booking_id": booking.id,
            "check_in_id": entry.id,
            "entry_id": standby.id,
        }


def build(app, rule, ids) -> str:
    """A concrete URL for ``rule``; unknown arguments fail the test (teach it the new one)."""
    missing = set(rule.arguments) - set(ids)
    assert not missing, f"{rule.endpoint}: teach test_access.py the argument(s) {missing}"
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **{name: ids[name] for name in rule.arguments})


def test_there_are_staff_routes_to_check(app):
    endpoints = {rule.endpoint for rule in staff_rules(app)}
    assert {"admin.overview", "admin.session_page", "checkin.index"} <= endpoints


def test_anonymous_visitors_are_sent_to_login(app, client, sample_ids):
    token = form_fields(client.get(f"/sessions/{sample_ids['session_id']}").get_data(as_text=True))[
        "csrf_token"
    ]
    for rule in staff_rules(app):
        url = build(app, rule, sample_ids)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            data = {"csrf_token": token} if method == "POST" else None
            response = client.open(url, method=method, data=data)
            assert response.status_code == 302, (method, url, response.status_code)
            assert response.headers["Location"].startswith("/login?next="), (method, url)


@pytest.mark.parametrize("role", ["checkin", "organiser", "admin"])
def test_each_role_gets_exactly_its_pages(app, client, staff_login, sample_ids, role):
    staff_login(client, role)
    token = form_fields(client.get("/login", follow_redirects=True).get_data(as_text=True)).get(
        "csrf_token"
    )
    for rule in staff_rules(app):
        url = build(app, rule, sample_ids)
        allowed = role in allowed_roles(rule.endpoint)
        if "GET" in rule.methods:
            response = client.get(url)
            expected = 200 if allowed else 403
            assert response.status_code == expected, (role, url, response.status_code)
        else:
            response = client.post(url, data={"csrf_token": token} if token else {})
            if allowed:
                assert response.status_code != 403, (role, url)
            else:
                assert response.status_code == 403, (role, url, response.status_code)
    with app.app_context():  # no POST above changed seats without a real form
        assert db.session.get(Booking, sample_ids["booking_id"]).status.value in (
            "confirmed",
            "cancelled",
        )


def test_the_login_page_and_logout_are_public(client):
    assert client.get("/login").status_code == 200
    assert client.get("/logout").status_code == 405  # signing out is a POST
