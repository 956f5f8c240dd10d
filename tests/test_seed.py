"""``flask seed-demo`` loads the real 2023 programme on future dates, once."""

from __future__ import annotations

from datetime import date, time

from sqlalchemy import func, select

from app.demo import PROGRAMME, week_shift
from app.extensions import db
from app.models import Event, EventKind, EventSession
from app.timeutil import paris, utcnow


def sessions_of(slug: str) -> list[EventSession]:
    """The sessions of an event, in order."""
    event = db.session.scalar(select(Event).where(Event.slug == slug))
    return event.sessions


def test_seed_demo_loads_the_press_release_and_running_it_twice_adds_nothing(app, runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "12 events and 26 sessions created" in first.output
    second = runner.invoke(args=["seed-demo"])
    assert "0 events and 0 sessions created" in second.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Event)) == len(PROGRAMME) == 12
        assert db.session.scalar(select(func.count()).select_from(EventSession)) == 26


def test_demo_dates_are_future_and_keep_their_2023_weekdays(app, runner):
    runner.invoke(args=["seed-demo"])
    with app.app_context():
        now = utcnow()
        visits = sessions_of("exposition-commentee")
        assert len(visits) == 12
        assert {paris(s.starts_at).time() for s in visits} == {time(14), time(15), time(16)}
        assert {paris(s.starts_at).strftime("%A") for s in visits} == {
            "Tuesday",
            "Wednesday",
            "Thursday",
            "Friday",
        }
        for session in db.session.scalars(select(EventSession)):
            assert session.starts_at > now
        pro_day = sessions_of("journee-professionnelle")[0]
        assert paris(pro_day.starts_at).weekday() == date(2023, 5, 11).weekday() == 3  # Thursday
        hikes = [
            paris(sessions_of(slug)[0].starts_at)
            for slug in ("randonnee-vialas", "randonnee-chaos-de-l-amous", "randonnee-pallieres")
        ]
        assert [h.strftime("%A %H:%M") for h in hikes] == [
            "Saturday 14:00",
            "Sunday 14:00",
            "Monday 10:00",
        ]
        # « Jeudi 26 mai » in the release: we keep the Thursday.
        talk = paris(sessions_of("geo-ressources-environnement-durabilite")[0].starts_at)
        assert talk.strftime("%A %H:%M") == "Thursday 18:00"
        films = db.session.scalars(select(Event).where(Event.kind == EventKind.FILM)).all()
        assert sum(len(f.sessions) for f in films) == 4
        assert all(paris(s.starts_at).time() == time(12, 45) for f in films for s in f.sessions)
        speakers = db.session.scalar(
            select(Event.speakers).where(Event.slug == "les-cailloux-dans-le-monde-des-hommes")
        )
        assert "Jean-Pierre Rolley" in speakers and "Michel Derancourt" in speakers


def test_the_shift_is_whole_weeks_and_leaves_time_to_book():
    for today in (date(2026, 11, 22), date(2027, 5, 1), date(2030, 2, 28)):
        shift = week_shift(today)
        assert shift.days % 7 == 0
        assert (date(2023, 5, 11) + shift - today).days >= 14
        assert (date(2023, 5, 11) + shift).month == 5  # the same season as the real week


def test_check_ledger_reports_and_repairs_a_drifted_counter(app, runner):
    runner.invoke(args=["seed-demo"])
    assert runner.invoke(args=["check-ledger"]).exit_code == 0
    with app.app_context():
        session = db.session.scalar(select(EventSession).order_by(EventSession.id))
        session.seats_taken = 3  # no booking accounts for these
        db.session.commit()
        session_id = session.id
    report = runner.invoke(args=["check-ledger"])
    assert report.exit_code == 1
    assert f"session {session_id}: seats_taken 3, bookings add up to 0" in report.output
    assert runner.invoke(args=["check-ledger", "--fix"]).exit_code == 0
    assert "Ledger OK" in runner.invoke(args=["check-ledger"]).output
