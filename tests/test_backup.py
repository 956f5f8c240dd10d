"""Resilience: backups and a tested restore, the ledger check, a full disk."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, func, select, update

from app.extensions import db
from app.models import (
    SEATS_COUNTER,
    Booking,
    ChangeCounter,
    Event,
    EventKind,
    EventSession,
    Venue,
)
from app.services import booking as booking_service
from app.services.ledger import check_ledger
from app.timeutil import utcnow

from .helpers import form_fields

PARTY = {"name": "Jean Moulin", "email": "jean@example.fr", "seats": "1"}


def book(app, session_id: int, email: str, seats: int = 1) -> str:
    """Book through the service; return the token."""
    with app.app_context():
        booking = booking_service.book(
            booking_service.BookingRequest(session_id, email.split("@")[0], email, seats)
        )
        db.session.commit()
        return booking.token


def state(app) -> tuple[list[tuple[str, str, int]], list[tuple[int, int, int]]]:
    """Every booking (email, status, seats) and every session's counters, in order."""
    with app.app_context():
        db.session.remove()
        bookings = db.session.execute(
            select(Booking.email, Booking.status, Booking.seats).order_by(Booking.email)
        ).all()
        sessions = db.session.execute(
            select(EventSession.id, EventSession.seats_taken, EventSession.seats_waiting).order_by(
                EventSession.id
            )
        ).all()
        return [(e, s.value, n) for e, s, n in bookings], [tuple(row) for row in sessions]


@pytest.fixture
def pg_tools(backend):
    """PostgreSQL backups need the client tools; SQLite needs nothing."""
    if backend == "postgresql" and not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("pg_dump/pg_restore missing (apt-get install postgresql-client)")
        pytest.skip("pg_dump/pg_restore not installed")


def test_backup_then_restore_brings_the_bookings_back(
    app, runner, make_session, tmp_path, pg_tools
):
    session_id = make_session(capacity=5)
    kept = book(app, session_id, "ada@example.fr", seats=2)
    book(app, session_id, "bob@example.fr")
    before = state(app)
    target = tmp_path / "minerales.backup"

    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert "Backup written to" in result.output
    assert target.stat().st_size > 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # it holds names and addresses

    # Life goes on after the backup: a cancellation, a new booking, a damaged counter.
    with app.app_context():
        booking_service.cancel(kept)
        db.session.commit()
    book(app, session_id, "carla@example.fr", seats=3)
    with app.app_context():
        db.session.execute(update(EventSession).values(seats_taken=EventSession.seats_taken + 1))
        db.session.commit()
    assert state(app) != before

    restored = runner.invoke(args=["restore", str(target), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert "Ledger OK" in restored.output
    assert state(app) == before
    with app.app_context():
        assert check_ledger() == []
    # The app carries on with the restored data.
    assert app.test_client().get(f"/b/{kept}").status_code == 200


def test_restore_asks_first_and_refuses_a_file_that_is_not_a_backup(
    app, runner, make_session, tmp_path, backend
):
    if backend != "sqlite":
        pytest.skip("the SQLite restore checks the file itself; pg_restore checks dumps")
    book(app, make_session(), "ada@example.fr")
    before = state(app)
    junk = tmp_path / "notes.txt"
    junk.write_text("not a database")
    assert runner.invoke(args=["restore", str(junk)], input="n\n").exit_code != 0
    refused = runner.invoke(args=["restore", str(junk), "--yes"])
    assert refused.exit_code != 0 and "not a readable SQLite database" in refused.output
    assert state(app) == before


def test_a_backup_never_overwrites_the_database_itself(app, runner, backend):
    if backend != "sqlite":
        pytest.skip("SQLite only: the database is a file")
    database = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    result = runner.invoke(args=["backup", database])
    assert result.exit_code != 0 and "overwrite the database itself" in result.output


def test_an_online_backup_holds_only_committed_data(app, runner, make_session, tmp_path, backend):
    """A writer in the middle of its transaction does not block the backup nor leak into it."""
    if backend != "sqlite":
        pytest.skip("pg_dump's snapshot isolation is PostgreSQL's own business")
    session_id = make_session(capacity=5)
    book(app, session_id, "ada@example.fr", seats=2)
    database = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    writer = sqlite3.connect(database, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE event_session SET seats_taken = 5 WHERE id = ?", (session_id,))
        result = runner.invoke(args=["backup", str(tmp_path / "during.sqlite3")])
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert result.exit_code == 0, result.output
    with sqlite3.connect(tmp_path / "during.sqlite3") as copy:
        assert copy.execute("SELECT seats_taken FROM event_session").fetchone() == (2,)
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # one file


# ------------------------------------------------------------------------- check-ledger


def test_check_ledger_reports_differences_and_fix_repairs_them(app, runner, make_session):
    session_id = make_session(capacity=10)
    other = make_session(capacity=10)
    book(app, session_id, "ada@example.fr", seats=3)
    ok = runner.invoke(args=["check-ledger"])
    assert ok.exit_code == 0 and "Ledger OK" in ok.output

    with app.app_context():  # a crash or a hand edit left the counters wrong
        db.session.execute(
            update(EventSession).where(EventSession.id == session_id).values(seats_taken=7)
        )
        db.session.execute(
            update(EventSession).where(EventSession.id == other).values(seats_waiting=2)
        )
        db.session.commit()
        counter = db.session.scalar(
            select(ChangeCounter.value).where(ChangeCounter.name == SEATS_COUNTER)
        )

    report = runner.invoke(args=["check-ledger"])
    assert report.exit_code == 1
    assert f"session {session_id}: seats_taken 7, bookings add up to 3" in report.output
    assert f"session {other}: seats_waiting 2, bookings add up to 0" in report.output
    with app.app_context():  # reporting changes nothing
        assert len(check_ledger()) == 2

    fixed = runner.invoke(args=["check-ledger", "--fix"])
    assert fixed.exit_code == 0 and "Repaired 2 counter(s)." in fixed.output
    with app.app_context():
        db.session.remove()
        assert check_ledger() == []
        assert db.session.get(EventSession, session_id).seats_taken == 3
        # Open programme pages learn about the corrected counts.
        assert (
            db.session.scalar(
                select(ChangeCounter.value).where(ChangeCounter.name == SEATS_COUNTER)
            )
            > counter
        )
    assert runner.invoke(args=["check-ledger"]).exit_code == 0


@pytest.mark.parametrize("damaged", [False, True], ids=["sound-counter", "damaged-counter"])
def test_check_ledger_fix_never_repairs_away_a_booking_committed_meanwhile(
    app, runner, make_session, backend, damaged
):
    """A booking commits (its row and its seats) while ``check-ledger --fix`` runs.

    The check pauses right after it has read the bookings' totals; a real second
    transaction books meanwhile. Whatever the check saw, the counter it leaves must be
    the seats of the bookings as they are after both have committed.
    """
    session_id = make_session(capacity=10)
    book(app, session_id, "ada@example.fr", seats=3)
    if damaged:  # a crash left the counter wrong: the fix has a real repair to make
        with app.app_context():
            db.session.execute(
                update(EventSession).where(EventSession.id == session_id).values(seats_taken=5)
            )
            db.session.commit()
    checker = threading.get_ident()
    totals_read, booked = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def pause_after_the_totals(_conn, _cursor, statement, *_args) -> None:
        """In the checker's thread, once: let the booking commit before going on."""
        if threading.get_ident() != checker or totals_read.is_set():
            return
        if "sum(" in statement.lower() and "booking" in statement.lower():
            totals_read.set()
            # SQLite: the fix holds the write lock from its first statement, so the
            # booking waits for the fix's commit instead; PostgreSQL lets it through.
            booked.wait(timeout=2 if backend == "sqlite" else 20)

    def booker() -> None:
        """Book 2 seats in a transaction of its own, once the check has read its totals."""
        try:
            assert totals_read.wait(timeout=20)
            book(app, session_id, "bob@example.fr", seats=2)
        except BaseException as error:  # reported by the test below
            failures.append(error)
        finally:
            booked.set()

    with app.app_context():
        engine = db.engine
    event.listen(engine, "after_cursor_execute", pause_after_the_totals)
    thread = threading.Thread(target=booker)
    thread.start()
    try:
        fixed = runner.invoke(args=["check-ledger", "--fix"])
    finally:
        event.remove(engine, "after_cursor_execute", pause_after_the_totals)
        thread.join(timeout=30)
    assert totals_read.is_set() and failures == []
    assert fixed.exit_code == 0, fixed.output
    with app.app_context():
        db.session.remove()
        session = db.session.get(EventSession, session_id)
        confirmed = db.session.scalar(
            select(func.sum(Booking.seats)).where(Booking.session_id == session_id)
        )
        assert confirmed == 5
        assert session.seats_taken == confirmed  # not 3: the fix lost nobody's seats
        assert check_ledger() == []


# ------------------------------------------------------------------------------ full disk


def test_a_full_disk_answers_the_503_page_and_stores_nothing(
    app, client, make_session, book_form, monkeypatch
):
    """The database refuses to grow ("database or disk is full" / PostgreSQL's DiskFull)."""
    session_id = make_session(capacity=10)
    fields = book_form(session_id)
    with app.app_context():
        dialect = db.engine.dialect
    if dialect.name == "sqlite":
        full = dialect.dbapi.OperationalError("database or disk is full")
    else:
        import psycopg

        full = psycopg.errors.DiskFull('could not extend file "base/1/2": No space left on device')
    real_execute = dialect.do_execute

    def execute_on_a_full_disk(cursor, statement, parameters, context=None):
        """Every insert into the bookings fails the way a full disk makes it fail."""
        if statement.lstrip().upper().startswith("INSERT INTO BOOKING"):
            raise full
        return real_execute(cursor, statement, parameters, context)

    monkeypatch.setattr(dialect, "do_execute", execute_on_a_full_disk)
    response = client.post(f"/sessions/{session_id}", data={**fields, **PARTY})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "rien n’a été enregistré" in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Booking)) == 0
        assert db.session.get(EventSession, session_id).seats_taken == 0
        assert check_ledger() == []

    monkeypatch.undo()  # space is back: the same form goes through
    fields = form_fields(client.get(f"/sessions/{session_id}").get_data(as_text=True))
    assert client.post(f"/sessions/{session_id}", data={**fields, **PARTY}).status_code == 303


def test_a_backup_file_is_private_from_its_first_byte(tmp_path):
    """Created 0600 before anything is written, whatever the umask."""
    import os

    from app.services.backup import private_empty_file

    previous = os.umask(0o022)
    try:
        path = private_empty_file(tmp_path / ".backup.partial")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.stat().st_size == 0


# --------------------------------------------------------------- a relative SQLite URL


@pytest.fixture(params=["instance/", ""], ids=["instance-folder", "bare-name"])
def relative_sqlite_app(request, tmp_path, monkeypatch):
    """The app on a relative SQLite URL (``sqlite:///instance/….sqlite3``, the form docs/configuration.md warns about,
    or a bare file name), run from a working directory that is not the app's.

    Flask-SQLAlchemy opens a relative SQLite path under ``app.instance_path``, whatever the
    working directory (``sqlite:///instance/x`` is ``<instance>/instance/x``). The working
    directory holds folders of the same names, where a path taken relative to it lands.
    """
    import uuid

    import flask_migrate

    from app import create_app

    from .conftest import BASE_CONFIG, empty_tables

    relative = f"{request.param}backup-test-{uuid.uuid4().hex[:8]}.sqlite3"
    config = {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{relative}"}
    cwd = tmp_path / "cwd"
    (cwd / "instance").mkdir(parents=True)
    monkeypatch.chdir(cwd)
    application = create_app(config)
    live = Path(application.instance_path) / relative
    made_folder = not live.parent.exists()
    live.parent.mkdir(exist_ok=True)
    try:
        with application.app_context():
            flask_migrate.upgrade()
            empty_tables()
        yield application, live, cwd / relative
    finally:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{live}{suffix}").unlink(missing_ok=True)
        if made_folder:
            live.parent.rmdir()


def test_backup_and_restore_with_a_relative_sqlite_url_work_on_the_live_file(
    relative_sqlite_app, tmp_path
):
    app, live, beside = relative_sqlite_app
    runner = app.test_cli_runner()
    with app.app_context():
        assert Path(db.engine.url.database) == live  # where the app really writes
        session = EventSession(
            event=Event(
                slug="relative",
                kind=EventKind.VISIT,
                title="Exposition",
                venue=Venue(name="Le Hub", city="30100 Alès"),
            ),
            starts_at=utcnow() + timedelta(days=7),
            ends_at=utcnow() + timedelta(days=7, hours=1),
            capacity=5,
        )
        db.session.add(session)
        db.session.commit()
        session_id = session.id
    book(app, session_id, "ada@example.fr", seats=2)
    before = state(app)
    target = tmp_path / "relative.backup"

    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(target) as copy:  # a copy of the live data, not of another file
        assert copy.execute("SELECT email, seats FROM booking").fetchall() == [
            ("ada@example.fr", 2)
        ]
        assert copy.execute("SELECT seats_taken FROM event_session").fetchone() == (2,)

    book(app, session_id, "late@example.fr", seats=3)  # made after the backup
    assert state(app) != before
    restored = runner.invoke(args=["restore", str(target), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert "Ledger OK" in restored.output
    assert state(app) == before  # the late booking is gone from the live database
    with app.app_context():
        assert check_ledger() == []
    assert not beside.exists()  # nothing written next to the working directory
