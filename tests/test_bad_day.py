"""A bad day: every session of a day, or of an event, cancelled in one action.

Through the dashboard's pages and the real SMTP server: the preview, the one transaction,
one mail per address in its language, and the mail's link that moves a cancelled booking
into a session with room, once, re-checked at the click.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import delete, func, select

from app.extensions import db
from app.models import (
    AuditEntry,
    Booking,
    BookingStatus,
    Event,
    EventKind,
    EventSession,
    OutboxMessage,
    Venue,
)
from app.services import bad_day
from app.services import booking as booking_service
from app.services.ledger import check_ledger
from app.timeutil import PARIS, as_utc

from .helpers import form_fields
from .test_mail import parts

pytestmark = pytest.mark.smtp

NBSP = "\u202f"


def at(day: date, hour: int) -> datetime:
    """A Paris wall-clock hour of ``day``, in UTC as stored."""
    return as_utc(datetime.combine(day, time(hour), tzinfo=PARIS))


def make_week(app: Any) -> dict[str, Any]:
    """The Vialas hike on the storm day (9 h, 14 h) and the day after (9 h, 14 h); a visit
    on the storm day. The 14 h hike of the storm day is full, with a party waiting."""
    storm = (datetime.now(PARIS) + timedelta(days=10)).date()
    with app.app_context():
        venue = Venue(name="Vialas", city="48220 Vialas", step_free=False)
        hike = Event(
            slug=f"hike-{uuid.uuid4().hex[:6]}",
            kind=EventKind.HIKE,
            title="Randonnée à Vialas",
            venue=venue,
        )
        visit = Event(
            slug=f"visit-{uuid.uuid4().hex[:6]}",
            kind=EventKind.VISIT,
            title="Exposition commentée",
            venue=venue,
        )

        def session(event: Event, day: date, hour: int, capacity: int) -> EventSession:
            return EventSession(
                event=event,
                starts_at=at(day, hour),
                ends_at=at(day, hour) + timedelta(hours=3),
                capacity=capacity,
            )

        sessions = {
            "morning": session(hike, storm, 9, 10),
            "afternoon": session(hike, storm, 14, 3),
            "next_morning": session(hike, storm + timedelta(days=1), 9, 10),
            "next_afternoon": session(hike, storm + timedelta(days=1), 14, 2),
            "visit": session(visit, storm, 15, 10),
        }
        db.session.add_all([venue, hike, visit, *sessions.values()])
        db.session.commit()
        ids = {name: s.id for name, s in sessions.items()}
        return {"storm": storm, "hike": hike.id, "visit": visit.id, **ids}


def book(app: Any, session_id: int, email: str, seats: int, *, locale: str = "fr") -> str:
    """A public booking (or a place on the waiting list when full); its token."""
    with app.app_context():
        request = booking_service.BookingRequest(
            session_id,
            email.split("@")[0].title(),
            email,
            seats,
            locale=locale,
            nonce=uuid.uuid4().hex,
        )
        try:
            booking = booking_service.book(request)
        except Exception:
            db.session.rollback()
            booking = booking_service.join_waitlist(request)
        token = booking.token
        db.session.commit()
        return token


def forget_mail(app: Any) -> None:
    """The confirmations of the setup are not what is tested."""
    with app.app_context():
        db.session.execute(delete(OutboxMessage))
        db.session.commit()


def booking(app: Any, token: str) -> tuple[BookingStatus, int, str]:
    with app.app_context():
        row = db.session.scalars(select(Booking).where(Booking.token == token)).one()
        return row.status, row.session_id, row.ended_reason


def taken(app: Any, session_id: int) -> int:
    with app.app_context():
        return db.session.get(EventSession, session_id).seats_taken


def cancelled(app: Any) -> set[int]:
    with app.app_context():
        return set(
            db.session.scalars(
                select(EventSession.id).where(EventSession.cancelled_at.is_not(None))
            )
        )


def ledger_ok(app: Any) -> None:
    with app.app_context():
        assert check_ledger() == []


def confirm(organiser: Any, query: str, note: str = "") -> Any:
    """The preview page, then its confirmation form posted as a browser does."""
    page = organiser.get(f"/admin/cancel-day?{query}")
    assert page.status_code == 200, page.get_data(as_text=True)[:400]
    fields = form_fields(page.get_data(as_text=True), "/admin/cancel-day/confirm")
    return organiser.post("/admin/cancel-day/confirm", data={**fields, "note": note})


def storm_day(app: Any) -> dict[str, Any]:
    """The week, with Alice twice on the storm day (two bookings), Carol, and Bob waiting
    (in English); Dan on the visit of the same day, Erin the day after."""
    week = make_week(app)
    week["alice_morning"] = book(app, week["morning"], "alice@example.fr", 2)
    week["alice_afternoon"] = book(app, week["afternoon"], "Alice@Example.fr", 1)
    week["carol"] = book(app, week["afternoon"], "carol@example.fr", 2)
    week["bob"] = book(app, week["afternoon"], "bob@example.org", 2, locale="en")
    week["dan"] = book(app, week["visit"], "dan@example.fr", 2)
    week["erin"] = book(app, week["next_morning"], "erin@example.fr", 2)
    assert booking(app, week["bob"])[0] is BookingStatus.WAITING
    forget_mail(app)
    return week


def rebook_links(message: Any) -> list[str]:
    return re.findall(r'href="(http[^"]+/rebook/\d+)"', parts(message)["html"])


def test_the_preview_shows_the_sessions_people_and_mails_and_changes_nothing(app, organiser, smtp):
    week = storm_day(app)
    page = organiser.get(f"/admin/cancel-day?day={week['storm']}&event_id={week['hike']}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "2 séances seront annulées" in html
    assert "5 réservations ou places en attente prennent fin" not in html  # 4 rows
    assert "4 réservations ou places en attente prennent fin" in html
    assert "3 personnes recevront un message" in html  # Alice once, Carol, Bob
    assert "Exposition commentée" not in html.split("Aperçu")[1]
    assert cancelled(app) == set() and smtp.wait_for(1, timeout=0.5) == []


def test_a_day_cancelled_cancels_that_days_sessions_and_mails_each_address_once(
    app, organiser, runner, smtp
):
    week = storm_day(app)
    response = confirm(
        organiser,
        f"day={week['storm']}&event_id={week['hike']}",
        "Orage annoncé sur le mont Lozère.",
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:600]
    assert cancelled(app) == {week["morning"], week["afternoon"]}
    for who in ("alice_morning", "alice_afternoon", "carol", "bob"):
        assert booking(app, week[who])[0::2] == (BookingStatus.CANCELLED, "session_cancelled")
    for who in ("dan", "erin"):
        assert booking(app, week[who])[0] is BookingStatus.CONFIRMED
    assert taken(app, week["morning"]) == taken(app, week["afternoon"]) == 0
    ledger_ok(app)

    smtp.wait_for(3)
    runner.invoke(args=["send-mail"])  # the sender again: nothing is sent twice
    smtp.wait_for(4, timeout=1)
    recipients = sorted(m["To"].addresses[0].addr_spec for m in smtp.messages)
    assert recipients == ["alice@example.fr", "bob@example.org", "carol@example.fr"]

    [alice] = smtp.to("alice@example.fr")
    assert alice["Subject"] == f"Vos séances sont annulées{NBSP}: Randonnée à Vialas"
    text = parts(alice)["text"]
    assert "Orage annoncé sur le mont Lozère." in text
    assert "Randonnée à Vialas" in text and "2 places" in text and "1 place" in text
    # For each of her two bookings, the sessions of the event with room for it, each with
    # its link: the day after's morning (10 free) and afternoon (2 free).
    links = rebook_links(alice)
    assert len(links) == 4 and len({link.split("/b/")[1].split("/")[0] for link in links}) == 2
    [bob] = smtp.to("bob@example.org")
    assert bob["Subject"] == "Your session is cancelled: Randonnée à Vialas"
    assert "waiting list" in parts(bob)["text"]
    with app.app_context():
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "sessions.cancelled_together")
        ).one()
        assert entry.data["mails"] == 3 and entry.data["bookings"] == 4
        assert sorted(entry.data["sessions"]) == sorted([week["morning"], week["afternoon"]])


def test_a_day_without_an_event_cancels_every_session_of_that_day(app, organiser, smtp):
    week = storm_day(app)
    assert confirm(organiser, f"day={week['storm']}").status_code == 303
    assert cancelled(app) == {week["morning"], week["afternoon"], week["visit"]}
    assert booking(app, week["dan"])[0] is BookingStatus.CANCELLED
    assert booking(app, week["erin"])[0] is BookingStatus.CONFIRMED
    smtp.wait_for(4)
    assert len(smtp.messages) == 4
    # Dan's visit has no other session: the mail points to the programme, no link.
    [dan] = smtp.to("dan@example.fr")
    assert rebook_links(dan) == [] and "/rebook/" not in parts(dan)["text"]
    ledger_ok(app)


def test_an_event_cancelled_leaves_its_begun_session_and_the_other_events(app, organiser, smtp):
    week = make_week(app)
    with app.app_context():
        begun = EventSession(
            event_id=week["hike"],
            starts_at=as_utc(datetime.now(PARIS)) - timedelta(minutes=30),
            ends_at=as_utc(datetime.now(PARIS)) + timedelta(hours=2),
            capacity=5,
        )
        db.session.add(begun)
        db.session.commit()
        begun_id = begun.id
    page = organiser.get(f"/admin/cancel-day?event_id={week['hike']}").get_data(as_text=True)
    assert "4 séances seront annulées" in page and "Déjà commencées" in page
    assert confirm(organiser, f"event_id={week['hike']}").status_code == 303
    assert cancelled(app) == {
        week["morning"],
        week["afternoon"],
        week["next_morning"],
        week["next_afternoon"],
    }
    assert begun_id not in cancelled(app)


def test_a_session_added_after_the_preview_stops_the_confirmation(app, organiser, smtp):
    week = storm_day(app)
    page = organiser.get(f"/admin/cancel-day?day={week['storm']}&event_id={week['hike']}")
    fields = form_fields(page.get_data(as_text=True), "/admin/cancel-day/confirm")
    with app.app_context():
        db.session.add(
            EventSession(
                event_id=week["hike"],
                starts_at=at(week["storm"], 17),
                ends_at=at(week["storm"], 19),
                capacity=4,
            )
        )
        db.session.commit()
    response = organiser.post("/admin/cancel-day/confirm", data=fields)
    assert response.status_code == 409
    assert "ont changé depuis l’aperçu" in response.get_data(as_text=True)
    assert cancelled(app) == set()
    assert booking(app, week["carol"])[0] is BookingStatus.CONFIRMED


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("day=21/05/2026", "AAAA-MM-JJ"),
        ("day=&event_id=", "Choisissez une journée, une activité, ou les deux."),
        ("event_id=999999", "Cette activité n’existe pas."),
    ],
)
def test_a_bad_scope_is_told_next_to_its_field_and_cancels_nothing(
    app, organiser, make_session, query, message
):
    make_session()
    page = organiser.get(f"/admin/cancel-day?{query}")
    assert page.status_code in (404, 422)
    assert message in page.get_data(as_text=True)
    html = organiser.get("/admin/cancel-day").get_data(as_text=True)
    posted = organiser.post(
        "/admin/cancel-day/confirm",
        data={
            "csrf_token": form_fields(html, "/logout")["csrf_token"],
            **dict(pair.split("=") for pair in query.split("&")),
        },
    )
    assert posted.status_code in (404, 422)
    assert cancelled(app) == set()


def test_nothing_left_to_cancel_is_said_and_no_form_is_offered(app, organiser):
    week = make_week(app)
    empty_day = week["storm"] + timedelta(days=3)
    html = organiser.get(f"/admin/cancel-day?day={empty_day}").get_data(as_text=True)
    assert "il n’y a rien à annuler" in html and "/admin/cancel-day/confirm" not in html


def test_the_mail_link_moves_the_party_once(app, organiser, client, smtp):
    week = storm_day(app)
    confirm(organiser, f"day={week['storm']}&event_id={week['hike']}")
    [carol] = [m for m in smtp.wait_for(3) if m["To"].addresses[0].addr_spec == "carol@example.fr"]
    [link] = [u for u in rebook_links(carol) if u.endswith(f"/rebook/{week['next_morning']}")]
    path = urlsplit(link).path
    # The booking's own page has the same links, for a mail that was lost.
    assert path in client.get(path.split("/rebook/")[0]).get_data(as_text=True)
    page = client.get(path)
    assert page.status_code == 200 and "Réserver cette séance" in page.get_data(as_text=True)
    assert booking(app, week["carol"])[0] is BookingStatus.CANCELLED  # a GET changes nothing
    fields = form_fields(page.get_data(as_text=True), "/rebook/")
    before = taken(app, week["next_morning"])

    moved = client.post(path, data=fields)
    assert moved.status_code == 303
    assert booking(app, week["carol"]) == (BookingStatus.CONFIRMED, week["next_morning"], "")
    assert taken(app, week["next_morning"]) == before + 2
    smtp.wait_for_mail("carol@example.fr", "Réservation confirmée")

    again = client.post(path, data=fields, follow_redirects=True)
    assert again.status_code == 200 and "C’est déjà fait" in again.get_data(as_text=True)
    assert taken(app, week["next_morning"]) == before + 2
    # Another link of the same mail now says where the booking stands, and takes nothing.
    other = client.post(f"{path.rsplit('/', 1)[0]}/{week['next_afternoon']}", data=fields)
    assert other.status_code == 409 and "déjà reportée" in other.get_data(as_text=True)
    assert taken(app, week["next_afternoon"]) == 0
    smtp.wait_for(5, timeout=1)
    assert len([m for m in smtp.to("carol@example.fr") if "confirmée" in m["Subject"]]) == 1
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == "booking.moved_after_cancel")
            )
            == 1
        )
    ledger_ok(app)


def test_a_full_session_is_not_offered_and_a_session_that_filled_is_refused_at_the_click(
    app, organiser, client, smtp
):
    week = storm_day(app)
    confirm(organiser, f"day={week['storm']}&event_id={week['hike']}")
    [carol] = [m for m in smtp.wait_for(3) if m["To"].addresses[0].addr_spec == "carol@example.fr"]
    # The day after's afternoon has 2 seats: offered to Carol's party of 2.
    links = rebook_links(carol)
    assert [u.rsplit("/", 1)[1] for u in links] == [
        str(week["next_morning"]),
        str(week["next_afternoon"]),
    ]
    # Someone takes them before Carol clicks.
    book(app, week["next_afternoon"], "zoe@example.fr", 2)
    path = f"/b/{_token(carol)}/rebook/{week['next_afternoon']}"
    page = client.get(path)
    html = page.get_data(as_text=True)
    assert "s’est remplie entre-temps" in html and "Réserver cette séance" not in html
    assert f"/rebook/{week['next_morning']}" in html  # where there is still room
    token = _csrf(client, week["next_morning"])
    refused = client.post(path, data={"csrf_token": token})
    assert refused.status_code == 409
    assert "s’est remplie entre-temps" in refused.get_data(as_text=True)
    assert booking(app, week["carol"])[0] is BookingStatus.CANCELLED
    assert taken(app, week["next_afternoon"]) == 2
    # A full session is not in the mail of a party that books after it filled either.
    with app.app_context():
        full = db.session.get(EventSession, week["next_afternoon"])
        assert full.seats_left == 0
    ledger_ok(app)


def _token(message: Any) -> str:
    return re.search(r"/b/([A-Za-z0-9_-]{20,64})/rebook/", parts(message)["html"]).group(1)


def _csrf(client: Any, session_id: int) -> str:
    """A CSRF token of this client's session, from a session's booking form."""
    html = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_a_booking_not_cancelled_with_its_session_cannot_use_the_link(app, client, smtp):
    week = make_week(app)
    token = book(app, week["morning"], "ann@example.fr", 1)
    with app.app_context():
        booking_service.cancel(token)
        db.session.commit()
    path = f"/b/{token}/rebook/{week['next_morning']}"
    html = client.get(path).get_data(as_text=True)
    assert "Réserver cette séance" not in html
    refused = client.post(path, data={"csrf_token": _csrf(client, week["next_morning"])})
    assert refused.status_code == 409
    assert "n’a pas été annulée avec sa séance" in refused.get_data(as_text=True)
    assert taken(app, week["next_morning"]) == 0


def test_the_service_refuses_a_scope_without_day_or_event(app):
    with app.app_context(), pytest.raises(bad_day.ScopeMissing):
        bad_day.Scope()
