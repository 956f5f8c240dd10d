"""The organisers' statistics: bookings per day, fill rates, no-shows, the page and the CSV."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import event, update

from app.extensions import db
from app.i18n import clock, short_day
from app.models import Booking, BookingStatus, EventKind, EventSession, Role
from app.services import accounts, charts, organiser, stats
from app.services import booking as booking_service
from app.services.booking import BookingRequest
from app.timeutil import utcnow

from .helpers import form_fields

NNBSP = "\u202f"
NBSP = "\u00a0"
PASSWORD = "a-long-password"


def book(app: Any, session_id: int, seats: int, now: datetime | None = None) -> str:
    """Confirm a booking through the booking service; return its token."""
    with app.app_context():
        booking = booking_service.book(
            BookingRequest(
                session_id=session_id, name="Marie Curie", email="marie@example.fr", seats=seats
            ),
            now=now,
        )
        token = booking.token
        db.session.commit()
        return token


def wait(app: Any, session_id: int, seats: int, now: datetime | None = None) -> str:
    """Put a party on the waiting list through the booking service; return its token."""
    with app.app_context():
        booking = booking_service.join_waitlist(
            BookingRequest(
                session_id=session_id, name="Pierre Curie", email="pierre@example.fr", seats=seats
            ),
            now=now,
        )
        token = booking.token
        db.session.commit()
        return token


def cancel(app: Any, token: str) -> None:
    """Cancel a booking (or leave the waiting list) through the booking service."""
    with app.app_context():
        booking_service.cancel(token)
        db.session.commit()


def move_to_past(app: Any, session_id: int, hours_ago: int = 3) -> None:
    """Make a session start ``hours_ago`` hours ago and end an hour later (already over)."""
    with app.app_context():
        session = db.session.get(EventSession, session_id)
        session.starts_at = utcnow() - timedelta(hours=hours_ago)
        session.ends_at = session.starts_at + timedelta(hours=1)
        db.session.commit()


def check_in(app: Any, token: str, seats: int) -> None:
    """Record ``seats`` people of a booking as arrived."""
    with app.app_context():
        db.session.execute(
            update(Booking).where(Booking.token == token).values(checked_in_seats=seats)
        )
        db.session.commit()


def sign_in(app: Any, client: Any, role: Role = Role.ORGANISER) -> None:
    """Create a staff account and sign in through the real form."""
    with app.app_context():
        accounts.create_user("orga@example.fr", role, PASSWORD, "Orga Nisatrice")
        db.session.commit()
    fields = form_fields(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login",
        data={"email": "orga@example.fr", "password": PASSWORD, "csrf_token": fields["csrf_token"]},
    )
    assert response.status_code == 303


def by_id(items: list[stats.SessionStats]) -> dict[int, stats.SessionStats]:
    """Session statistics keyed by session id."""
    return {item.session_id: item for item in items}


def programme(app: Any, make_session: Any) -> dict[str, int]:
    """A small week: visits, a film with an offer pending, a cancelled talk, a past hike.

    Fill: visit_a 5/10, visit_b 5/20, film 1 confirmed + 2 offered of 4, hike (past) 8/10.
    Hike: 8 confirmed seats, 5 checked in, so 3 no-shows (37.5 %).
    """
    ids = {
        "visit_a": make_session(capacity=10, title="Géologie des Cévennes"),
        "visit_b": make_session(capacity=20, title="Minéraux fluorescents"),
        "film": make_session(capacity=4, kind=EventKind.FILM, title="=Volcans d’Auvergne"),
        "talk": make_session(capacity=50, kind=EventKind.CONFERENCE, title="Conférence annulée"),
        "hike": make_session(capacity=10, kind=EventKind.HIKE, title="Randonnée du Mont Bouquet"),
    }
    book(app, ids["visit_a"], 3)
    book(app, ids["visit_a"], 2)
    book(app, ids["visit_b"], 5)
    # The film fills up, a party of 2 waits, then a party of 3 cancels: the 2 get an offer.
    leaving = book(app, ids["film"], 3)
    book(app, ids["film"], 1)
    wait(app, ids["film"], 2)
    cancel(app, leaving)
    book(app, ids["talk"], 4)
    with app.app_context():
        organiser.cancel_session(ids["talk"], actor="test")
        db.session.commit()
    hikers = [book(app, ids["hike"], 4), book(app, ids["hike"], 2), book(app, ids["hike"], 2)]
    cancel(app, book(app, ids["hike"], 1))  # cancelled before the day: not a no-show
    move_to_past(app, ids["hike"])
    for token, arrived in zip(hikers, (4, 1, 0), strict=True):
        check_in(app, token, arrived)
    return ids


def test_fill_rate_per_session_ignores_cancelled_sessions(app, make_session):
    """Fill = (confirmed + offered) / capacity, per session, cancelled sessions left out."""
    ids = programme(app, make_session)
    with app.app_context():
        sessions = by_id(stats.session_stats())

    assert ids["talk"] not in sessions
    assert sessions[ids["visit_a"]].fill == 0.5
    assert sessions[ids["visit_b"]].fill == 0.25
    film = sessions[ids["film"]]
    assert (film.confirmed, film.offered, film.waiting) == (1, 2, 0)
    assert film.fill == 0.75
    hike = sessions[ids["hike"]]
    assert (hike.confirmed, hike.checked_in, hike.fill) == (8, 5, 0.8)


def test_fill_rate_per_kind_sums_seats_and_capacity(app, make_session):
    """A kind's fill is its booked seats over its capacity, not an average of rates."""
    programme(app, make_session)
    with app.app_context():
        kinds = {k.kind: k for k in stats.kind_stats(stats.session_stats())}

    assert list(kinds) == [EventKind.VISIT, EventKind.FILM, EventKind.HIKE]
    visit = kinds[EventKind.VISIT]
    assert (visit.sessions, visit.booked, visit.capacity) == (2, 10, 30)
    assert visit.fill == 10 / 30  # not (0.5 + 0.25) / 2
    assert kinds[EventKind.FILM].fill == 0.75
    assert kinds[EventKind.HIKE].fill == 0.8


def test_no_show_rate_per_past_session_and_overall(app, make_session):
    """No-show = 1 - checked in / confirmed, for sessions that have ended only."""
    ids = programme(app, make_session)
    empty = make_session(capacity=12, title="Personne n’est venu")
    move_to_past(app, empty, hours_ago=30)
    extra = make_session(capacity=6, kind=EventKind.HIKE, title="Randonnée du matin")
    over = book(app, extra, 2)
    move_to_past(app, extra, hours_ago=5)
    check_in(app, over, 3)  # more people than booked are counted as the party, not more

    with app.app_context():
        sessions = stats.session_stats()
        no_show = stats.no_show_stats(sessions)

    assert [s.session_id for s in no_show.sessions] == [empty, extra, ids["hike"]]
    rates = {s.session_id: s.no_show for s in no_show.sessions}
    assert rates == {empty: None, extra: 0.0, ids["hike"]: 0.375}
    assert (no_show.expected, no_show.arrived, no_show.missing) == (10, 7, 3)
    assert no_show.rate == pytest.approx(0.3)
    assert by_id(sessions)[ids["visit_a"]].no_show is None  # not over yet


def test_released_parties_are_no_shows_and_walk_ins_are_not_bookings(app, make_session):
    """Released seats count as booked and missing; walk-ins fill seats but book nothing."""
    session_id = make_session(capacity=10, title="Conférence de Laurence Maurice")
    noon = datetime.combine(utcnow().date() - timedelta(days=2), time(12), tzinfo=UTC)
    came = book(app, session_id, 3, now=noon)
    released = book(app, session_id, 2, now=noon)
    move_to_past(app, session_id)
    check_in(app, came, 3)
    with app.app_context():
        # What the door does: nobody of the party came by the start, the seats go to the
        # door, and two people without a booking are let in.
        db.session.execute(
            update(Booking)
            .where(Booking.token == released)
            .values(status=BookingStatus.RELEASED, name="", email="")
        )
        db.session.add(
            Booking(
                session_id=session_id,
                token=booking_service.new_token(),
                ticket_code=booking_service.new_ticket_code(),
                name="Sans réservation",
                email="",
                seats=2,
                status=BookingStatus.CONFIRMED,
                source="walkin",
                checked_in_seats=2,
                created_at=utcnow(),
            )
        )
        db.session.commit()
        (figures,) = stats.session_stats()
        no_show = stats.no_show_stats([figures])
        days = stats.bookings_per_day()

    assert (figures.confirmed, figures.checked_in, figures.fill) == (5, 5, 0.5)
    assert (figures.expected, figures.arrived, figures.walk_ins) == (5, 3, 2)
    assert figures.no_show == 0.4
    assert (no_show.expected, no_show.missing, no_show.walk_ins, no_show.rate) == (5, 2, 2, 0.4)
    assert [(d.seats, d.bookings) for d in days] == [(5, 2)]  # the walk-in is not a booking


def test_bookings_per_day_counts_once_confirmed_seats_on_paris_days(app, make_session):
    """Seats per Paris day of booking; cancelled bookings count, waiting parties do not."""
    day0 = (utcnow() - timedelta(days=10)).date()

    def at(day: date, hour: int, minute: int = 0) -> datetime:
        """A UTC moment on ``day``."""
        return datetime.combine(day, time(hour, minute), tzinfo=UTC)

    first = make_session(capacity=20, starts_in=timedelta(days=30))
    small = make_session(capacity=2, starts_in=timedelta(days=30))
    book(app, first, 2, now=at(day0, 21, 30))  # 22:30 or 23:30 in Paris: still day0
    book(app, first, 3, now=at(day0, 23, 30))  # 00:30 or 01:30 in Paris: day0 + 1
    cancelled = book(app, first, 1, now=at(day0 + timedelta(days=3), 10))
    cancel(app, cancelled)  # was confirmed: still booked that day
    book(app, small, 2, now=at(day0 + timedelta(days=3), 11))
    wait(app, small, 1, now=at(day0 + timedelta(days=3), 12))  # only waiting
    cancel(app, wait(app, small, 1, now=at(day0 + timedelta(days=4), 9)))  # left the list

    with app.app_context():
        days = stats.bookings_per_day()

    assert [(d.day, d.seats, d.bookings, d.cumulative) for d in days] == [
        (day0, 2, 1, 2),
        (day0 + timedelta(days=1), 3, 1, 5),
        (day0 + timedelta(days=2), 0, 0, 5),
        (day0 + timedelta(days=3), 3, 2, 8),
    ]


def test_statistics_take_three_queries_whatever_the_number_of_sessions(app, make_session):
    """Grouped queries: no query per session (bookings per day, per session, moves)."""
    for number in range(6):
        session_id = make_session(capacity=10, title=f"Séance {number}")
        book(app, session_id, 1 + number % 3)
    with app.app_context():
        statements: list[str] = []

        def count(*args: Any) -> None:
            """Record each statement sent to the database."""
            statements.append(args[2])

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            figures = stats.statistics()
        finally:
            event.remove(db.engine, "before_cursor_execute", count)

    assert len(figures.sessions) == 6
    assert figures.booked == 12
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 3


def test_figures_survive_a_purge_of_personal_data(app, make_session):
    """Blanking names, e-mails and phones changes no figure."""
    programme(app, make_session)
    with app.app_context():
        before = (stats.bookings_per_day(), stats.session_stats())
        db.session.execute(update(Booking).values(name="", email="", phone=""))
        db.session.commit()
        after = (stats.bookings_per_day(), stats.session_stats())
    assert before == after


def test_axis_has_round_steps():
    """Scales go up in round steps from zero."""
    assert charts.axis(0) == charts.Axis(4, [0, 1, 2, 3, 4])
    assert charts.axis(7) == charts.Axis(8, [0, 2, 4, 6, 8])
    assert charts.axis(37) == charts.Axis(40, [0, 10, 20, 30, 40])
    assert charts.axis(90) == charts.Axis(100, [0, 25, 50, 75, 100])
    assert charts.axis(1234) == charts.Axis(2000, [0, 500, 1000, 1500, 2000])


def test_statistics_need_an_organiser(app, client):
    """Anonymous visitors are sent to sign in; door staff are refused."""
    for url in ("/admin/statistics", "/admin/statistics.csv"):
        response = client.get(url)
        assert response.status_code in (302, 303)
        assert "/login" in response.headers["Location"]
    sign_in(app, client, Role.CHECKIN)
    assert client.get("/admin/statistics").status_code == 403
    assert client.get("/admin/statistics.csv").status_code == 403


def test_statistics_page_shows_charts_and_tables(app, client, make_session):
    """Four SVG charts with title and description, each followed by its table, CSP-clean."""
    ids = programme(app, make_session)
    sign_in(app, client)
    response = client.get("/admin/statistics")
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    assert "<h1>Statistiques</h1>" in html
    assert 'aria-current="page">Statistiques</a>' in html
    charts = re.findall(
        r'<svg class="chart" role="img" aria-labelledby="([\w-]+)-title \1-desc"', html
    )
    assert charts == ["chart-days", "chart-sessions", "chart-kinds", "chart-no-show"]
    for chart in charts:
        assert f'<title id="{chart}-title">' in html and f'<desc id="{chart}-desc">' in html
        after = html.split(f'<desc id="{chart}-desc">', 1)[1]
        assert after.index("</svg>") < after.index('<table class="table">')
    assert html.count('<table class="table">') == 4
    assert " style=" not in html and "<style" not in html and "<script>" not in html

    # Session labels as on the programme, « mar. 25 mai 14 h — Title ».
    with app.test_request_context():
        hike = db.session.get(EventSession, ids["hike"])
        label = f"{short_day(hike.starts_at)} {clock(hike.starts_at)} — Randonnée du Mont Bouquet"
    assert label in html
    # Real numbers in the tables and the charts.
    assert f"50{NBSP}%" in html and f"75{NBSP}%" in html  # visit A, film
    assert f"33{NBSP}%" in html  # visits: 10 / 30
    assert f"38{NBSP}%" in html or f"37{NBSP}%" in html  # hike no-show, 37.5 %
    assert f"Moyenne 38{NBSP}%" in html or f"Moyenne 37{NBSP}%" in html
    assert '<rect x="440" y="' in html
    assert 'width="180.0" height="16" fill="#6a2c8c"' in html  # 5/10 of a 360-wide bar
    assert 'width="180.0" height="16" fill="#c27a00"' in html  # film: 2/4 offered
    assert 'width="135.0" height="16" fill="#a3162a"' in html  # hike: 3/8 no-shows
    assert "Conférence annulée" not in html
    assert f"sans aucune donnée personnelle{NNBSP}:" in html


def test_statistics_page_without_any_session(app, client):
    """An empty week shows sentences, not broken charts."""
    sign_in(app, client)
    html = client.get("/admin/statistics").get_data(as_text=True)
    assert "Aucune réservation pour le moment." in html
    assert "Aucune séance terminée pour le moment." in html
    assert "<svg" not in html


def test_statistics_csv_has_one_row_per_session(app, client, make_session):
    """UTF-8 with BOM, semicolons, accents kept, formulas neutralised, real figures."""
    ids = programme(app, make_session)
    sign_in(app, client)
    response = client.get("/admin/statistics.csv")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "statistiques-seances.csv" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == [
        "Date",
        "Heure",
        "Événement",
        "Type",
        "Capacité",
        "Places confirmées",
        "Places proposées",
        "Places en attente",
        "Remplissage (%)",
        "Places accueillies",
        "Absences (%)",
        "Entrées sans réservation",
        "Réservations arrivées par déplacement",
        "Réservations parties par déplacement",
    ]
    by_title = {row[2]: row for row in rows[1:]}
    assert len(rows) == 5  # header + 4 sessions: the cancelled talk is left out
    with app.app_context():
        hike = db.session.get(EventSession, ids["hike"])
        from app.timeutil import paris

        start = paris(hike.starts_at)
    assert by_title["Randonnée du Mont Bouquet"] == [
        start.strftime("%Y-%m-%d"),
        start.strftime("%H:%M"),
        "Randonnée du Mont Bouquet",
        "Randonnée",
        "10",
        "8",
        "0",
        "0",
        "80",
        "5",
        "37,5",
        "0",
        "0",
        "0",
    ]
    assert by_title["Géologie des Cévennes"][3:] == [
        "Visite commentée",
        "10",
        "5",
        "0",
        "0",
        "50",
        "0",
        "",
        "0",
        "0",
        "0",
    ]
    # A title starting with "=" is not run as a formula by a spreadsheet.
    assert by_title["'=Volcans d’Auvergne"][4:9] == ["4", "1", "2", "0", "75"]
    assert "Marie" not in text and "@" not in text
