"""One transaction per change, on both databases, and PostgreSQL reads without one.

A booking's writes (seats, the booking, its audit entry, its mail) commit together or not
at all. On PostgreSQL, what a request reads before its first write runs in autocommit
mode (no BEGIN and COMMIT round trips: READ COMMITTED gives each statement its own
snapshot anyway); ``writing()`` opens the transaction, and a write attempted outside
it is refused.
"""

from __future__ import annotations

import time
from contextlib import contextmanager

import pytest
from sqlalchemy import event, update

from app.extensions import db
from app.models import SEATS_COUNTER, ChangeCounter
from app.timeutil import utcnow

WRITES = ("INSERT", "UPDATE", "DELETE")


def in_transaction(dbapi_connection) -> bool:
    """Whether the driver's connection is inside a transaction right now."""
    if hasattr(dbapi_connection, "autocommit") and not hasattr(dbapi_connection, "in_transaction"):
        return not dbapi_connection.autocommit  # psycopg: a statement opens one unless autocommit
    return dbapi_connection.in_transaction  # sqlite3: BEGIN was issued by our listener


@contextmanager
def statements(app):
    """Record (transaction number, statement, inside a transaction?) for each statement."""
    seen: list[tuple[int, str, bool]] = []
    begins = [0]
    with app.app_context():
        engine = db.engine

    def on_begin(_connection):
        begins[0] += 1

    def on_execute(connection, _cursor, statement, *_args):
        dbapi = connection.connection.driver_connection
        seen.append(
            (begins[0], statement.lstrip().split(None, 1)[0].upper(), in_transaction(dbapi))
        )

    event.listen(engine, "begin", on_begin)
    event.listen(engine, "after_cursor_execute", on_execute)
    try:
        yield seen
    finally:
        event.remove(engine, "begin", on_begin)
        event.remove(engine, "after_cursor_execute", on_execute)


def post_booking(client, session_id: int, fields: dict[str, str], who: str, seats: int = 1):
    """Send the booking form of ``session_id`` for ``who`` (their address follows the name)."""
    return client.post(
        f"/sessions/{session_id}",
        data={**fields, "name": who, "email": f"{who.lower()}@example.fr", "seats": str(seats)},
    )


def test_a_booking_writes_everything_in_one_transaction(app, client, make_session, book_form):
    app.config["MAIL_SEND_AFTER_COMMIT"] = False  # the sender's own transactions come after
    session_id = make_session(capacity=5)
    fields = book_form(session_id)
    with statements(app) as seen:
        response = post_booking(client, session_id, fields, "Ada", seats=2)
    assert response.status_code == 303
    writes = [(number, inside) for number, verb, inside in seen if verb in WRITES]
    # seats, change counter, booking, audit entry, outbox row
    assert len(writes) >= 5
    assert all(inside for _number, inside in writes)
    assert len({number for number, _inside in writes}) == 1


def test_postgresql_pages_read_without_a_transaction(app, client, make_session, backend):
    if backend != "postgresql":
        pytest.skip("SQLite reads in a deferred transaction, which costs no round trip")
    session_id = make_session(capacity=5)
    with statements(app) as seen:
        for path in ("/", f"/sessions/{session_id}", "/api/sessions", "/collection/"):
            assert client.get(path).status_code == 200
    assert seen, "the pages read nothing?"
    assert not any(inside for _number, _verb, inside in seen)


@pytest.mark.app_config(LIVE_COUNTER_CACHE_SECONDS=60)  # the counter is read once
def test_an_answer_that_reads_nothing_takes_no_connection(app, client, make_session, backend):
    # The live poll of every open page mostly answers 304 from the worker's counter: it
    # must not check a connection out of the pool (PostgreSQL's autocommit mode was set on
    # one at the start of every request).
    make_session()
    etag = client.get("/live/seats").headers["ETag"]
    with app.app_context():
        engine = db.engine
    checkouts: list[object] = []

    def on_checkout(*_args):
        checkouts.append(1)

    event.listen(engine, "checkout", on_checkout)
    try:
        for _ in range(3):
            assert client.get("/live/seats", headers={"If-None-Match": etag}).status_code == 304
    finally:
        event.remove(engine, "checkout", on_checkout)
    assert checkouts == []


@pytest.mark.app_config(WTF_CSRF_ENABLED=False)
def test_a_writer_that_only_adds_rows_is_committed(app, client, backend):
    # The commit after the answer is skipped when the session began nothing: a unit of
    # work that only adds rows (no query yet) must still count as begun, or the row is lost
    # while the visitor is told it was saved.
    from app.database import writing

    @app.post("/test-add-only")
    def add_only() -> str:
        """A unit of work that adds a row and reads nothing first."""
        with writing():
            db.session.add(ChangeCounter(name="test-added", value=7))
        return "saved"

    assert client.post("/test-add-only").status_code == 200
    with app.app_context():
        assert db.session.get(ChangeCounter, "test-added").value == 7


def test_postgresql_refuses_a_write_made_outside_the_unit_of_work(app, client, backend):
    if backend != "postgresql":
        pytest.skip("SQLite has no autocommit reads to escape from")

    @app.get("/test-sneaky-write")
    def sneaky_write() -> str:
        """A view that changes data without entering writing()."""
        db.session.execute(
            update(ChangeCounter)
            .where(ChangeCounter.name == SEATS_COUNTER)
            .values(value=ChangeCounter.value + 1)
        )
        return "done"

    assert client.get("/test-sneaky-write").status_code == 500  # refused before it ran
    with app.app_context():
        assert db.session.get(ChangeCounter, SEATS_COUNTER).value == 0


def test_a_refused_booking_reads_the_database_once(app, client, make_session, book_form):
    # A rush on a full session is hundreds of these: the session, its lapsed offers and
    # the form's nonce come in one statement, and nothing is written. The event's other
    # sessions, which the waiting form offers, were read with the page (once per version).
    session_id = make_session(capacity=1)
    assert post_booking(client, session_id, book_form(session_id), "Ada").status_code == 303
    # The page's parts are kept per minute (app/live.py): the form and its refusal in the
    # same minute, as in a rush, so that the refusal finds what the page read.
    if utcnow().second >= 55:
        time.sleep(60 - utcnow().second + 0.1)
    late = book_form(session_id)
    with statements(app) as seen:
        refused = post_booking(client, session_id, late, "Bob")
    assert refused.status_code == 409
    assert [verb for _number, verb, _inside in seen if verb not in ("BEGIN", "ROLLBACK")] == [
        "SELECT"
    ]


def test_the_live_counter_moves_once_and_last_in_a_change_of_several_sessions(app, make_session):
    """Session rows first, the counter last: two such changes can never deadlock."""
    from datetime import timedelta

    from app.services import booking as booking_service
    from app.services import waitlist
    from app.timeutil import utcnow

    first, second = make_session(capacity=1), make_session(capacity=1)
    with app.app_context():
        for session_id in (first, second):
            for who in ("holder", "waiter", "next"):
                request = booking_service.BookingRequest(session_id, who, f"{who}@ex.fr", 1)
                if who == "holder":
                    token = booking_service.book(request).token
                else:
                    booking_service.join_waitlist(request)
                db.session.commit()
            booking_service.cancel(token)  # "waiter" gets an offer
            db.session.commit()
        later = utcnow() + timedelta(days=2)  # both offers lapse
        engine = db.engine
        sql: list[str] = []

        def record(_connection, _cursor, statement, *_args):
            sql.append(" ".join(statement.split()).upper())

        event.listen(engine, "before_cursor_execute", record)
        try:
            assert waitlist.expire_due(now=later) == 2  # two sessions, in one transaction
            db.session.commit()
        finally:
            event.remove(engine, "before_cursor_execute", record)
    bumps = [i for i, statement in enumerate(sql) if statement.startswith("UPDATE CHANGE_COUNTER")]
    assert len(bumps) == 1, "the counter moved more than once"
    session_updates = [i for i, s in enumerate(sql) if s.startswith("UPDATE EVENT_SESSION")]
    assert session_updates and bumps[0] > max(session_updates), "the counter was locked first"
