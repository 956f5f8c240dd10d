"""Editions: a week copied onto the same weekdays of another year's week, once; past
editions leave the public pages and stay in the dashboard and the statistics."""

from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    AuditEntry,
    Booking,
    BookingStatus,
    Event,
    EventKind,
    EventSession,
    Specimen,
    SpecimenCategory,
    Venue,
)
from app.services import editions, stats_editions
from app.services.privacy import purge_personal_data
from app.timeutil import PARIS, paris, utcnow

from .helpers import form_fields

LAST_YEAR = paris(utcnow()).year - 1
NEXT_YEAR = LAST_YEAR + 2
# Last year's week, in winter time; the new one is in summer time: 14 h stays 14 h.
SOURCE_MONDAY = date(LAST_YEAR, 3, 16) - timedelta(days=date(LAST_YEAR, 3, 16).weekday())
TARGET_DAY = date(NEXT_YEAR, 5, 6)  # any day of the new week
TARGET_MONDAY = TARGET_DAY - timedelta(days=TARGET_DAY.weekday())
# (weekday, hour) of last year's exhibition sessions, and the hike's.
VISITS = [(1, 14), (1, 15), (2, 14), (4, 10)]
HIKE = (5, 9)


def at(monday: date, weekday: int, hour: int) -> datetime:
    """A Paris time in the week of ``monday``."""
    return datetime.combine(monday + timedelta(days=weekday), time(hour), tzinfo=PARIS)


def session(event: Event, weekday: int, hour: int, **fields) -> EventSession:
    starts_at = at(SOURCE_MONDAY, weekday, hour)
    return EventSession(
        event=event, starts_at=starts_at, ends_at=starts_at + timedelta(minutes=45), **fields
    )


@pytest.fixture
def last_year(app) -> dict[str, int]:
    """Last year's edition: an exhibition with four sessions (and a cancelled one), a hike,
    two specimens shown, one hidden; bookings, some of whom came."""
    with app.app_context():
        venue = Venue(name="Le Hub", city="Alès")
        visit = Event(
            slug="expo", kind=EventKind.VISIT, title="Exposition", venue=venue, edition=LAST_YEAR
        )
        hike = Event(
            slug="rando", kind=EventKind.HIKE, title="Randonnée", venue=venue, edition=LAST_YEAR
        )
        sessions = [session(visit, day, hour, capacity=20) for day, hour in VISITS]
        closing = session(hike, *HIKE, capacity=12)
        closing.booking_closes_at = closing.starts_at - timedelta(hours=18)
        cancelled = session(visit, 3, 14, capacity=20, cancelled_at=utcnow())
        db.session.add_all([venue, visit, hike, *sessions, closing, cancelled])
        db.session.add_all(
            [
                Specimen(
                    inventory_number=f"MA-MIN-000{number}",
                    name=f"Spécimen {number}",
                    category=SpecimenCategory.MINERAL,
                    event=visit,
                    on_display=number != 3,
                )
                for number in (1, 2, 3)
            ]
        )
        db.session.flush()
        for number, (seats, came) in enumerate([(4, 4), (6, 3), (2, 0)]):
            db.session.add(
                Booking(
                    session_id=sessions[0].id,
                    token=secrets.token_urlsafe(32),
                    ticket_code=f"CODE-{number:04d}",
                    name=f"Personne {number}",
                    email=f"personne{number}@example.fr",
                    seats=seats,
                    checked_in_seats=came,
                    status=BookingStatus.CONFIRMED,
                )
            )
        sessions[0].seats_taken = 12
        db.session.commit()
        return {"visit": visit.id, "hike": hike.id, "first_session": sessions[0].id}


def new_edition(runner, *extra: str):
    return runner.invoke(
        args=["new-edition", "--from", str(LAST_YEAR), "--week", TARGET_DAY.isoformat(), *extra]
    )


def copies(app) -> list[EventSession]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(EventSession)
                .join(Event, EventSession.event_id == Event.id)
                .where(Event.edition == NEXT_YEAR)
                .order_by(EventSession.starts_at)
            ).unique()
        )


def test_new_edition_copies_the_week_onto_the_same_weekdays_and_times(app, runner, last_year):
    result = new_edition(runner)
    assert result.exit_code == 0, result.output
    assert "2 event(s) and 5 session(s) were copied" in result.output
    made = copies(app)
    expected = sorted([at(TARGET_MONDAY, d, h) for d, h in VISITS] + [at(TARGET_MONDAY, *HIKE)])
    assert [paris(s.starts_at) for s in made] == expected
    assert {paris(s.starts_at).hour for s in made} == {9, 10, 14, 15}  # Paris time kept
    with app.app_context():
        for copy in made:
            assert copy.opening_pending and copy.booking_opens_at is None
            assert copy.ends_at - copy.starts_at == timedelta(minutes=45)
            assert copy.seats_taken == 0
        hike = next(s for s in made if s.event.kind is EventKind.HIKE)
        assert hike.capacity == 12
        assert hike.starts_at - hike.booking_closes_at == timedelta(hours=18)
        events = db.session.scalars(select(Event).where(Event.edition == NEXT_YEAR)).all()
        assert {e.copied_from_id for e in events} == {last_year["visit"], last_year["hike"]}
        source_venue = db.session.get(Event, last_year["visit"]).venue_id
        assert {e.venue_id for e in events} == {source_venue}  # a place stays the same place
        copy_of_visit = next(e for e in events if e.copied_from_id == last_year["visit"])
        shown = db.session.scalars(select(Specimen).order_by(Specimen.id)).all()
        assert [s.event_id for s in shown] == [
            copy_of_visit.id,
            copy_of_visit.id,
            last_year["visit"],
        ]
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "edition.created")
        ).one()
        assert entry.data["sessions"] == 5


def test_new_edition_twice_does_nothing_more(app, runner, last_year):
    assert new_edition(runner).exit_code == 0
    before = [(s.event_id, s.starts_at) for s in copies(app)]
    again = new_edition(runner)
    assert again.exit_code == 0, again.output
    assert "0 event(s) and 0 session(s) were copied, 5 already there" in again.output
    assert [(s.event_id, s.starts_at) for s in copies(app)] == before
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Event)) == 4


def test_a_dry_run_copies_nothing(app, runner, last_year):
    result = new_edition(runner, "--dry-run")
    assert "5 session(s) would be copied" in result.output
    assert copies(app) == []


@pytest.mark.parametrize(
    ("year", "week", "text"),
    [
        ("deux mille", "2027-05-03", "Indiquez l’année de l’édition à recopier"),
        (str(LAST_YEAR), "le 3 mai", "Indiquez un jour de la semaine choisie"),
        (str(LAST_YEAR), f"{LAST_YEAR}-09-01", "une semaine d’une autre année"),
        ("1999", "2027-05-03", "Aucun événement n’appartient à l’édition 1999."),
    ],
)
def test_the_command_refuses_bad_input(app, runner, last_year, year, week, text):
    result = runner.invoke(args=["new-edition", "--from", year, "--week", week])
    assert result.exit_code != 0
    assert copies(app) == []
    assert text in result.output


def test_past_editions_leave_the_public_pages_and_stay_in_the_dashboard(
    app, client, runner, organiser, last_year
):
    old = f'/sessions/{last_year["first_session"]}"'
    # Between editions the site still shows the last one.
    assert old in client.get("/").get_data(as_text=True)
    assert new_edition(runner).exit_code == 0
    new = copies(app)[0].id
    programme = client.get("/").get_data(as_text=True)
    assert old not in programme
    assert f'/sessions/{new}"' in programme
    assert "Réservations bientôt ouvertes" in programme
    api = client.get("/api/sessions").get_json()
    assert last_year["first_session"] not in {item["id"] for item in api}
    # Nor do the calendar feed and the school website's widget.
    feed = client.get("/programme.ics").get_data(as_text=True)
    assert f"session-{last_year['first_session']}@" not in feed
    assert f"session-{new}@" in feed
    widget = client.get("/embed/").get_data(as_text=True)
    assert old not in widget
    dashboard = organiser.get("/admin/events").get_data(as_text=True)
    assert f'/admin/sessions/{last_year["first_session"]}"' in dashboard
    assert f'/admin/sessions/{new}"' in dashboard
    page = organiser.get("/admin/editions").get_data(as_text=True)
    assert f"Édition {LAST_YEAR}" in page and f"Édition {NEXT_YEAR}" in page


def test_the_statistics_compare_the_editions_and_survive_the_purge(app, organiser, last_year):
    with app.app_context():
        figures = {f.year: f for f in stats_editions.edition_figures()}
        old = figures[LAST_YEAR]
        assert (old.bookings, old.seats_booked, old.booked, old.capacity) == (3, 12, 12, 92)
        assert old.no_show == pytest.approx(5 / 12)
        purge_personal_data(30)
        db.session.commit()
        assert db.session.scalar(select(func.count()).where(Booking.name.like("Personne%"))) == 0
        assert stats_editions.edition_figures()[0] == old
    page = organiser.get("/admin/statistics").get_data(as_text=True)
    assert "D’une édition à l’autre" in page
    assert f'<th scope="row">{LAST_YEAR}</th>' in page


def test_the_dashboard_previews_creates_and_opens_an_edition(app, organiser, last_year):
    page = organiser.get("/admin/editions")
    token = form_fields(page.get_data(as_text=True), "/admin/editions/new")["csrf_token"]
    data = {"csrf_token": token, "from_year": str(LAST_YEAR), "week": TARGET_DAY.isoformat()}
    bad = organiser.post(
        "/admin/editions/new", data={**data, "week": "bientôt", "action": "preview"}
    )
    assert bad.status_code == 422
    assert 'id="week-error"' in bad.get_data(as_text=True)
    preview = organiser.post("/admin/editions/new", data={**data, "action": "preview"})
    assert "5 séances à créer" in preview.get_data(as_text=True)
    assert copies(app) == []
    created = organiser.post("/admin/editions/new", data={**data, "action": "create"})
    assert created.status_code == 303
    assert len(copies(app)) == 5
    opens = datetime(NEXT_YEAR, 4, 2, 9, tzinfo=PARIS)
    opened = organiser.post(
        f"/admin/editions/{NEXT_YEAR}/opening",
        data={"csrf_token": token, "booking_opens_at": opens.strftime("%Y-%m-%dT%H:%M")},
    )
    assert opened.status_code == 303
    assert {(s.booking_opens_at, s.opening_pending) for s in copies(app)} == {(opens, False)}
    with app.app_context():
        assert editions.editions()[0].pending == 0


def test_new_edition_brings_the_organisers_words_but_not_the_answers(app, runner, last_year):
    """Next year's hike has the same practical details, mails, reminders and questions;
    last year's answers stay where they were."""
    from app.models import BookingAnswer, BookingQuestion, MailText, QuestionKind, ReminderRule
    from app.services import questions

    with app.app_context():
        shoes = questions.add_question(
            last_year["hike"],
            questions.QuestionFields(
                QuestionKind.CHOICE,
                "Pointure",
                label_en="Shoe size",
                required=True,
                choices_fr="36-39\n40-44",
                choices_en="36-39\n40-44",
            ),
            actor="setup",
        )
        retired = questions.add_question(
            last_year["hike"],
            questions.QuestionFields(QuestionKind.YES_NO, "Navette"),
            actor="setup",
        )
        retired.removed_at = utcnow()
        hike = db.session.get(Event, last_year["hike"])
        hike.meeting_point = "Parking de la gare de Vialas"
        db.session.add_all(
            [
                MailText(
                    kind="confirmed", event_id=hike.id, subject_fr="Rendez-vous", body_fr="{name}"
                ),
                ReminderRule(event_id=hike.id, minutes_before=2 * 24 * 60),
            ]
        )
        db.session.add(BookingAnswer(booking_id=1, question_id=shoes.id, value="40-44"))
        db.session.commit()

    assert new_edition(runner).exit_code == 0
    with app.app_context():
        copied_hike = db.session.scalar(
            select(Event).where(Event.edition == NEXT_YEAR, Event.kind == EventKind.HIKE)
        )
        copied = db.session.scalars(
            select(BookingQuestion).where(BookingQuestion.event_id == copied_hike.id)
        ).all()
        assert [(q.kind, q.label_fr, q.label_en, q.required, q.choices_fr) for q in copied] == [
            (QuestionKind.CHOICE, "Pointure", "Shoe size", True, "36-39\n40-44")
        ]
        assert db.session.scalar(select(func.count()).select_from(BookingAnswer)) == 1
        assert copied_hike.meeting_point == "Parking de la gare de Vialas"
        mail = db.session.scalar(select(MailText).where(MailText.event_id == copied_hike.id))
        assert (mail.kind, mail.subject_fr, mail.body_fr) == ("confirmed", "Rendez-vous", "{name}")
        assert db.session.scalars(
            select(ReminderRule.minutes_before).where(ReminderRule.event_id == copied_hike.id)
        ).all() == [2880]

    assert new_edition(runner).exit_code == 0  # twice: no second copy of the questions
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(BookingQuestion)) == 3
