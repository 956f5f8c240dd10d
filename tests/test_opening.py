"""Booking opens at a set time: before it the page says when, has no form, refuses a POST;
at that time the live poll switches the page to open, without a reload."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from app.extensions import db
from app.models import Booking, EventSession
from app.services import programme
from app.services.booking_errors import BookingClosed
from app.timeutil import PARIS, utcnow

from .helpers import form_fields

NBSP = "\u00a0"


def next_may_second() -> datetime:
    """9 h on the 2nd of May to come (Paris time), a whole minute as the services keep it."""
    now = utcnow()
    year = now.year if datetime(now.year, 5, 2, 9, tzinfo=PARIS) > now else now.year + 1
    return datetime(year, 5, 2, 9, tzinfo=PARIS)


@pytest.fixture
def opening(app, make_session) -> tuple[int, datetime]:
    """A session on the 5th of May whose booking opens on the 2nd at 9 h."""
    opens_at = next_may_second()
    session_id = make_session(
        capacity=20, starts_in=opens_at + timedelta(days=3, hours=5) - utcnow()
    )
    with app.app_context():
        db.session.get(EventSession, session_id).booking_opens_at = opens_at
        db.session.commit()
    return session_id, opens_at


class Clock:
    """The services' clock, moved by the test (``now=`` for code that reads it itself)."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.moment


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """Where programme states and the live version read the time."""
    fake = Clock(utcnow())
    monkeypatch.setattr("app.services.programme.utcnow", fake)
    monkeypatch.setattr("app.live.utcnow", fake)
    return fake


def bookings(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Booking))


def test_before_its_time_a_session_refuses_and_at_its_time_it_opens(app, opening):
    session_id, opens_at = opening
    with app.test_request_context():
        session = db.session.get(EventSession, session_id)
        just_before = opens_at - timedelta(seconds=1)
        assert programme.availability(session, just_before) is programme.Availability.NOT_YET_OPEN
        with pytest.raises(BookingClosed) as refused:
            programme.ensure_bookable(session, just_before)
        assert refused.value.reason == "not_yet_open"
        assert refused.value.opens_at == opens_at
        assert programme.availability(session, opens_at) is programme.Availability.OPEN
        programme.ensure_bookable(session, opens_at)


def test_the_page_says_when_has_no_form_and_a_post_is_refused(app, client, opening, make_session):
    session_id, _opens_at = opening
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert f"Réservations ouvertes le 2 mai à 9{NBSP}h" in page
    assert 'name="email"' not in page
    programme_page = client.get("/").get_data(as_text=True)
    assert f"Réservations ouvertes le 2 mai à 9{NBSP}h" in programme_page
    # The fields of another session's form, sent to this one as a script would.
    fields = form_fields(client.get(f"/sessions/{make_session()}").get_data(as_text=True))
    response = client.post(
        f"/sessions/{session_id}",
        data={**fields, "name": "Ada", "email": "ada@example.fr", "seats": "2", "action": "book"},
    )
    assert response.status_code == 409
    assert "Les réservations ouvriront le" in response.get_data(as_text=True)
    assert bookings(app) == 0
    english = app.test_client()
    english.get("/language/en")
    assert "Booking opens on 2 May at 9 am" in english.get(f"/sessions/{session_id}").get_data(
        as_text=True
    )


def test_at_the_opening_time_the_form_is_there_and_the_live_version_moved(
    app, client, opening, clock
):
    session_id, opens_at = opening
    clock.moment = opens_at - timedelta(seconds=1)
    before = client.get(f"/live/seats?event={event_of(app, session_id)}")
    assert "not_yet_open" in before.get_data(as_text=True)
    clock.moment = opens_at
    # Nothing moved in the database: only the clock tells the poll the session opened.
    after = client.get(
        f"/live/seats?event={event_of(app, session_id)}",
        headers={"If-None-Match": before.headers["ETag"]},
    )
    assert after.status_code == 200
    assert after.headers["ETag"] != before.headers["ETag"]
    assert 'data-state="open:20"' in after.get_data(as_text=True)
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert 'name="email"' in page


def event_of(app, session_id: int) -> int:
    with app.app_context():
        return db.session.get(EventSession, session_id).event_id


def test_opening_times_are_kept_to_the_whole_minute(app, organiser, opening):
    """The live version changes on the minute: an opening at 9:00:30 would wait for 9:01."""
    session_id, _opens_at = opening
    from app.services import organiser as organiser_service

    with app.app_context():
        session = db.session.get(EventSession, session_id)
        fields = organiser_service.SessionFields(
            starts_at=session.starts_at,
            ends_at=session.ends_at,
            capacity=20,
            booking_opens_at=datetime(2030, 5, 2, 9, 0, 30, tzinfo=PARIS),
        )
        organiser_service.save_session(session.event_id, fields, actor="t", session_id=session_id)
        db.session.commit()
        assert db.session.get(EventSession, session_id).booking_opens_at == datetime(
            2030, 5, 2, 9, tzinfo=PARIS
        )


def test_a_session_held_until_opened_says_so_and_refuses(app, client, make_session):
    session_id = make_session(opening_pending=True)
    fields = form_fields(client.get(f"/sessions/{make_session()}").get_data(as_text=True))
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert "Réservations bientôt ouvertes" in page
    assert 'name="email"' not in page
    response = client.post(
        f"/sessions/{session_id}",
        data={**fields, "name": "Ada", "email": "ada@example.fr", "seats": "1", "action": "book"},
    )
    assert response.status_code == 409
    assert "ne sont pas encore ouvertes" in response.get_data(as_text=True)
    assert bookings(app) == 0


def test_an_organiser_sets_the_opening_of_every_session_of_an_event(app, organiser, make_session):
    first = make_session(opening_pending=True)
    with app.app_context():
        event_id = db.session.get(EventSession, first).event_id
        later = db.session.get(EventSession, first)
        db.session.add(
            EventSession(
                event_id=event_id,
                starts_at=later.starts_at + timedelta(days=1),
                ends_at=later.ends_at + timedelta(days=1),
                capacity=10,
            )
        )
        db.session.commit()
    url = f"/admin/events/{event_id}/series"
    token = form_fields(organiser.get(url).get_data(as_text=True))["csrf_token"]
    bad = organiser.post(
        f"/admin/events/{event_id}/opening",
        data={"csrf_token": token, "opening-booking_opens_at": "le 2 mai"},
    )
    assert bad.status_code == 422
    assert 'id="opening-booking_opens_at-error"' in bad.get_data(as_text=True)
    opens = next_may_second()
    response = organiser.post(
        f"/admin/events/{event_id}/opening",
        data={"csrf_token": token, "opening-booking_opens_at": opens.strftime("%Y-%m-%dT%H:%M")},
    )
    assert response.status_code == 303
    with app.app_context():
        sessions = db.session.scalars(
            select(EventSession).where(EventSession.event_id == event_id)
        ).all()
        assert {(s.booking_opens_at, s.opening_pending) for s in sessions} == {(opens, False)}


def test_a_series_opens_at_the_time_it_was_given(app, runner, make_session):
    opens = next_may_second()
    with app.app_context():
        event_id = db.session.get(EventSession, make_session()).event_id
    first = opens.date() + timedelta(days=1)
    result = runner.invoke(
        args=[
            "add-series",
            "--event",
            str(event_id),
            "--from",
            first.isoformat(),
            "--to",
            (first + timedelta(days=6)).isoformat(),
            "--weekdays",
            "tue,wed,thu,fri",
            "--times",
            "14:00,15:00,16:00",
            "--minutes",
            "45",
            "--capacity",
            "20",
            "--opens",
            opens.strftime("%Y-%m-%dT%H:%M"),
        ]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        created = db.session.scalars(
            select(EventSession).where(
                EventSession.event_id == event_id, EventSession.booking_opens_at.is_not(None)
            )
        ).all()
        assert len(created) == 12
        assert {s.booking_opens_at for s in created} == {opens}


@pytest.mark.browser
@pytest.mark.parametrize("app", ["sqlite"], indirect=True)
@pytest.mark.app_config(LIVE_POLL_SECONDS=1)
def test_the_live_poll_switches_the_page_to_open_without_a_reload(
    app, opening, clock, live_server, page_factory
):
    session_id, opens_at = opening
    clock.moment = opens_at - timedelta(seconds=20)
    page = page_factory(width=390, height=844)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server}/sessions/{session_id}")
    panel = page.locator("#booking-panel")
    expect(panel).to_contain_text(re.compile("Réservations ouvertes le 2 mai"))
    expect(page.get_by_label("Adresse e-mail")).to_have_count(0)
    page.evaluate("window.__sameDocument = true")
    clock.moment = opens_at + timedelta(seconds=1)
    expect(page.get_by_label("Adresse e-mail")).to_be_visible(timeout=8000)
    expect(page.get_by_role("button", name="Confirmer la réservation")).to_be_visible()
    expect(page.locator(f"#avail-{session_id} .avail__label")).to_have_text("20 places")
    assert page.evaluate("window.__sameDocument") is True
    assert errors == []
