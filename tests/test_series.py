"""Sessions from a rule: exactly the sessions asked for, existing ones skipped, all or nothing."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEntry, Event, EventKind, EventSession, Venue
from app.services import series
from app.services.series_errors import RowBeforeOpening, SeriesInvalid
from app.timeutil import PARIS, paris, utcnow

from .helpers import form_fields

# Tuesday to Friday at 14 h, 15 h and 16 h: the exhibition slots.
WEEKDAYS = "tue,wed,thu,fri"
TIMES = "14:00,15:00,16:00"


def a_tuesday(weeks_ahead: int = 8) -> date:
    """A Tuesday some weeks from now (always in the future, whenever the test runs)."""
    today = paris(utcnow()).date()
    return today - timedelta(days=today.weekday()) + timedelta(weeks=weeks_ahead, days=1)


@pytest.fixture
def event_id(app) -> int:
    """An event without sessions."""
    with app.app_context():
        venue = Venue(name="Le Hub", city="Alès")
        event = Event(slug="expo", kind=EventKind.VISIT, title="Exposition commentée", venue=venue)
        db.session.add_all([venue, event])
        db.session.commit()
        return event.id


def starts(app, event_id: int) -> list[datetime]:
    """The event's session starts in Paris time, in order."""
    with app.app_context():
        return [
            paris(s)
            for s in db.session.scalars(
                select(EventSession.starts_at)
                .where(EventSession.event_id == event_id)
                .order_by(EventSession.starts_at)
            )
        ]


def add_series(runner, event_id: int, first: date, last: date, *extra: str):
    """Run the command as the issue spells it."""
    return runner.invoke(
        args=[
            "add-series",
            "--event",
            str(event_id),
            "--from",
            first.isoformat(),
            "--to",
            last.isoformat(),
            "--weekdays",
            WEEKDAYS,
            "--times",
            TIMES,
            "--minutes",
            "45",
            "--capacity",
            "20",
            *extra,
        ]
    )


def test_the_command_creates_exactly_the_sessions_of_the_rule(app, runner, event_id):
    tuesday = a_tuesday()
    # Two weeks from a Tuesday to the Friday after: 8 days, 3 times each.
    result = add_series(runner, event_id, tuesday, tuesday + timedelta(days=10))
    assert result.exit_code == 0, result.output
    assert "24 session(s) created, 0 skipped" in result.output
    expected = [
        datetime.combine(tuesday + timedelta(weeks=week, days=day), time(hour), tzinfo=PARIS)
        for week in (0, 1)
        for day in range(4)
        for hour in (14, 15, 16)
    ]
    assert starts(app, event_id) == expected
    with app.app_context():
        sessions = db.session.scalars(select(EventSession)).all()
        assert {(s.ends_at - s.starts_at, s.capacity) for s in sessions} == {
            (timedelta(minutes=45), 20)
        }
        entry = db.session.scalars(select(AuditEntry)).one()
        assert entry.action == "series.created"
        assert len(entry.data["sessions"]) == 24


def test_a_dry_run_shows_the_plan_and_creates_nothing(app, runner, event_id):
    tuesday = a_tuesday()
    result = add_series(runner, event_id, tuesday, tuesday + timedelta(days=3), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Dry run: 12 to create, 0 skipped." in result.output
    assert starts(app, event_id) == []


def test_existing_sessions_are_skipped_and_a_second_run_adds_nothing(app, runner, event_id):
    tuesday = a_tuesday()
    wednesday_15h = datetime.combine(tuesday + timedelta(days=1), time(15), tzinfo=PARIS)
    with app.app_context():
        db.session.add(
            EventSession(
                event_id=event_id,
                starts_at=wednesday_15h,
                ends_at=wednesday_15h + timedelta(hours=1),
                capacity=8,
            )
        )
        db.session.commit()
    first = add_series(runner, event_id, tuesday, tuesday + timedelta(days=3))
    assert "11 session(s) created, 1 skipped" in first.output, first.output
    again = add_series(runner, event_id, tuesday, tuesday + timedelta(days=3))
    assert "0 session(s) created, 12 skipped" in again.output, again.output
    assert len(starts(app, event_id)) == 12
    with app.app_context():  # the session already there is left as it was
        kept = db.session.scalars(
            select(EventSession).where(EventSession.starts_at == wednesday_15h)
        ).one()
        assert kept.capacity == 8


def test_a_bad_row_refuses_the_whole_series(app, runner, event_id):
    tuesday = a_tuesday()
    # Booking would open after the first Tuesday's sessions have started.
    opens = f"{tuesday.isoformat()}T15:30"
    result = add_series(runner, event_id, tuesday, tuesday + timedelta(days=3), "--opens", opens)
    assert result.exit_code != 0
    assert "commencerait avant l’ouverture des réservations" in result.output
    assert starts(app, event_id) == []


def test_a_failure_in_the_middle_rolls_back_the_rows_written_before(app, event_id, monkeypatch):
    tuesday = a_tuesday()
    written = []
    real_add = series._add_session

    def failing_add(*args, **kwargs):
        """Write rows until the sixth, then fail as a database error would."""
        if len(written) == 5:
            raise RowBeforeOpening(args[2].starts_at)
        session = real_add(*args, **kwargs)
        written.append(session)
        return session

    monkeypatch.setattr(series, "_add_session", failing_add)
    with app.app_context():
        rule = series.parse_rule(
            series.SeriesInput(
                tuesday.isoformat(),
                (tuesday + timedelta(days=3)).isoformat(),
                WEEKDAYS,
                TIMES,
                "45",
                "20",
            )
        )
        with pytest.raises(RowBeforeOpening):
            series.create_series(event_id, rule, actor="test")
        db.session.commit()  # what the request would commit: nothing is left to
        assert len(written) == 5
        assert db.session.scalar(select(func.count()).select_from(EventSession)) == 0
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0


@pytest.mark.parametrize(
    ("typed", "fields"),
    [
        ({"first_day": "2027-13-01"}, {"first_day"}),
        ({"last_day": "demain"}, {"last_day"}),
        ({"first_day": "2027-05-07", "last_day": "2027-05-04"}, {"last_day"}),
        ({"weekdays": ""}, {"weekdays"}),
        ({"weekdays": "tue,fun"}, {"weekdays"}),
        ({"first_day": "2027-05-04", "last_day": "2027-05-04", "weekdays": "sat"}, {"weekdays"}),
        ({"times": "14:00 25:00"}, {"times"}),
        ({"times": "quatorze"}, {"times"}),
        ({"minutes": "0", "capacity": "-1"}, {"minutes", "capacity"}),
        ({"booking_opens_at": "2 mai"}, {"booking_opens_at"}),
    ],
)
def test_bad_input_is_refused_field_by_field(app, typed, fields):
    values = {
        "first_day": "2027-05-04",
        "last_day": "2027-05-07",
        "weekdays": WEEKDAYS,
        "times": TIMES,
        "minutes": "45",
        "capacity": "20",
        **typed,
    }
    with app.test_request_context(), pytest.raises(SeriesInvalid) as refused:
        series.parse_rule(series.SeriesInput(**values))
    assert {problem.field for problem in refused.value.problems} == fields


def test_times_and_weekdays_read_as_people_write_them(app):
    with app.test_request_context():
        rule = series.parse_rule(
            series.SeriesInput(
                "2027-05-03", "2027-05-09", "mar. jeu 5", "14h, 9 h 30 16:15", "45", "20"
            )
        )
    assert rule.weekdays == {1, 3, 5}
    assert rule.times == (time(9, 30), time(14), time(16, 15))


# ---------------------------------------------------------------------------------------
# The dashboard page
# ---------------------------------------------------------------------------------------


def series_form(tuesday: date, **overrides: str) -> dict[str, str]:
    """What an organiser types in the series form."""
    return {
        "first_day": tuesday.isoformat(),
        "last_day": (tuesday + timedelta(days=3)).isoformat(),
        "weekdays": ["1", "2", "3", "4"],
        "times": "14:00 15:00 16:00",
        "minutes": "45",
        "capacity": "20",
        "booking_opens_at": "",
        "close_minutes": "",
        "note": "",
        **overrides,
    }


def test_the_page_previews_then_creates_in_one_post(app, organiser, event_id):
    tuesday = a_tuesday()
    url = f"/admin/events/{event_id}/series"
    page = organiser.get(url)
    assert page.status_code == 200
    token = form_fields(page.get_data(as_text=True))["csrf_token"]
    data = {"csrf_token": token, **series_form(tuesday)}
    preview = organiser.post(url, data={**data, "action": "preview"})
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "12 séances à créer" in html
    assert starts(app, event_id) == []  # a preview writes nothing
    created = organiser.post(url, data={**data, "action": "create"})
    assert created.status_code == 303
    assert len(starts(app, event_id)) == 12
    again = organiser.post(url, data={**data, "action": "preview"})
    assert "12 déjà programmées" in again.get_data(as_text=True)


def test_the_page_shows_each_error_next_to_its_field_and_stores_nothing(app, organiser, event_id):
    url = f"/admin/events/{event_id}/series"
    token = form_fields(organiser.get(url).get_data(as_text=True))["csrf_token"]
    data = {
        "csrf_token": token,
        **series_form(a_tuesday(), first_day="2027-05-07", last_day="2027-05-04"),
        "weekdays": [],
        "times": "quatorze heures",
    }
    response = organiser.post(url, data={**data, "action": "create"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for field, text in [
        ("last_day", "Le dernier jour doit être le premier jour ou un jour après."),
        ("weekdays", "Choisissez au moins un jour de la semaine."),
        ("times", "Heure illisible"),
    ]:
        assert f'id="{field}-error"' in html, field
        assert text in html
    assert starts(app, event_id) == []
    organiser.get("/language/en")
    english = organiser.post(url, data={**data, "action": "create"})
    assert "Choose at least one day of the week." in english.get_data(as_text=True)


# ---------------------------------------------------------------------------------------
# The new dashboard pages in a browser: axe, no sideways scrolling, screenshots; vnu
# ---------------------------------------------------------------------------------------


def sign_in_organiser(app, page, base_url: str) -> None:
    """Create an organiser and sign in through the login form."""
    from app.models import Role
    from app.services.accounts import create_user

    from .conftest import STAFF_PASSWORD

    with app.app_context():
        create_user("orga@mines-ales.fr", Role.ORGANISER, STAFF_PASSWORD, "Orga")
        db.session.commit()
    page.goto(f"{base_url}/login")
    page.get_by_label("Adresse e-mail").fill("orga@mines-ales.fr")
    page.get_by_label("Mot de passe").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{base_url}/admin/")


@pytest.mark.browser
@pytest.mark.parametrize("app", ["sqlite"], indirect=True)
def test_the_series_and_editions_pages_pass_axe_at_both_widths(
    app, event_id, live_server, page_factory
):
    import os
    from pathlib import Path

    from .test_accessibility import WIDTHS, axe_violations

    shots = Path(os.environ.get("SHOTS_DIR", "")) if os.environ.get("SHOTS_DIR") else None
    tuesday = a_tuesday()
    wednesday_15h = datetime.combine(tuesday + timedelta(days=1), time(15), tzinfo=PARIS)
    with app.app_context():  # one is already there: the preview shows it skipped
        db.session.add(
            EventSession(
                event_id=event_id,
                starts_at=wednesday_15h,
                ends_at=wednesday_15h + timedelta(minutes=45),
                capacity=20,
            )
        )
        db.session.commit()
    problems: dict[str, list[str]] = {}
    for width in ("desktop", "phone"):
        page = page_factory(*WIDTHS[width])
        if width == "desktop":
            sign_in_organiser(app, page, live_server)
        else:
            page.goto(f"{live_server}/login")
            page.get_by_label("Adresse e-mail").fill("orga@mines-ales.fr")
            from .conftest import STAFF_PASSWORD

            page.get_by_label("Mot de passe").fill(STAFF_PASSWORD)
            page.get_by_role("button", name="Se connecter").click()
            page.wait_for_url(f"{live_server}/admin/")

        def check(name: str, page=page, width=width, whole_page: bool = True) -> None:
            found = axe_violations(page)
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            if overflow > 0 and whole_page:
                found.append(f"{overflow} px wider than the screen")
            if found:
                problems[f"{name} ({width})"] = found
            if shots:
                page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)

        page.goto(f"{live_server}/admin/events/{event_id}/series")
        check("series")
        page.get_by_label("Premier jour").fill(tuesday.isoformat())
        page.get_by_label("Dernier jour").fill((tuesday + timedelta(days=3)).isoformat())
        page.get_by_role("button", name="Voir l’aperçu").click()
        check("series-errors")
        for day in ("mardi", "mercredi", "jeudi", "vendredi"):
            page.get_by_label(day, exact=True).check()
        page.get_by_label("Heures de début").fill("14:00 15:00 16:00")
        page.get_by_role("button", name="Voir l’aperçu").click()
        page.locator("#series-preview").wait_for()
        check("series-preview")
        page.goto(f"{live_server}/admin/editions")
        check("editions")
        page.get_by_label("Un jour de la semaine de la nouvelle édition").fill(
            date(tuesday.year + 1, 5, 4).isoformat()
        )
        page.get_by_role("button", name="Voir l’aperçu").click()
        check("editions-preview")
        page.goto(f"{live_server}/admin/statistics")
        # The per-session tables below were wider than a phone before editions came; the
        # editions' table scrolls within its own box.
        check("statistics", whole_page=False)
        box = page.locator("#stats-editions + p + .table-scroll").bounding_box()
        assert box and box["x"] + box["width"] <= WIDTHS[width][0]
    assert problems == {}


@pytest.mark.parametrize("app", ["sqlite"], indirect=True)
def test_the_new_pages_pass_the_nu_html_checker(app, organiser, event_id, tmp_path, capsys):
    import json
    import shutil
    import subprocess

    from .test_html_validity import VNU_JAR, unavailable

    java = shutil.which("java")
    if not java or not VNU_JAR.exists():
        unavailable("vnu or java missing")
    url = f"/admin/events/{event_id}/series"
    token = form_fields(organiser.get(url).get_data(as_text=True))["csrf_token"]
    data = {"csrf_token": token, **series_form(a_tuesday())}
    bad = {**data, "times": "quatorze", "weekdays": []}
    pages = {
        "series": organiser.get(url).get_data(as_text=True),
        "series-preview": organiser.post(url, data={**data, "action": "preview"}).get_data(
            as_text=True
        ),
        "series-errors": organiser.post(url, data={**bad, "action": "preview"}).get_data(
            as_text=True
        ),
    }
    assert organiser.post(url, data={**data, "action": "create"}).status_code == 303
    pages["editions"] = organiser.get("/admin/editions").get_data(as_text=True)
    year = paris(utcnow()).year
    pages["editions-preview"] = organiser.post(
        "/admin/editions/new",
        data={
            "csrf_token": token,
            "from_year": str(year),
            "week": f"{year + 1}-05-04",
            "action": "preview",
        },
    ).get_data(as_text=True)
    pages["statistics"] = organiser.get("/admin/statistics").get_data(as_text=True)
    files = []
    for name, html in pages.items():
        path = tmp_path / f"{name}.html"
        path.write_text(html, encoding="utf-8")
        files.append(str(path))
    run = subprocess.run(
        [java, "-jar", str(VNU_JAR), "--format", "json", "--stdout", *files],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    messages = json.loads(run.stdout)["messages"]
    errors = [
        f"{m.get('url', '').rsplit('/', 1)[-1]}:{m.get('lastLine')}: {m['message']}"
        for m in messages
        if m["type"] != "info"
    ]
    assert not errors, "\n".join(errors)
