"""The outbox under faults: a real SMTP server (aiosmtpd) that stalls, refuses, drops or
hangs; senders that overlap, run in other processes or are killed; a database that times
out on a lock. What must hold: every message is delivered once, with a Message-ID derived
from its row; the one exception is a sender that dies between the server's 250 and its
record, whose message is sent once more, after the stale delay, with the same Message-ID.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import flask_migrate
import pytest
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import db
from app.models import EventSession, OutboxMessage, OutboxStatus
from app.services import booking as booking_service
from app.services import mail as mail_service
from app.services.mail import claims, sender
from app.timeutil import utcnow

from .conftest import BASE_CONFIG, PG_URL

pytestmark = pytest.mark.smtp

ROOT = Path(__file__).resolve().parent.parent
FLASK = Path(sys.executable).parent / "flask"


def queue_messages(app, count: int, start: int = 0) -> list[int]:
    """Write ``count`` due, already rendered messages (no booking: sending is the test)."""
    now = utcnow()
    rows = [
        {
            "kind": "message",
            "recipient": f"p{index}@example.fr",
            "subject": f"Message {index}",
            "body_text": f"Bonjour {index}",
            "body_html": "",
            "attachments": [],
            "locale": "fr",
            "context": {},
            "rendered_at": now,
            "status": OutboxStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": now - timedelta(seconds=1),
            "last_error": "",
            "created_at": now,
        }
        for index in range(start, start + count)
    ]
    with app.app_context():
        db.session.execute(insert(OutboxMessage), rows)
        db.session.commit()
        return list(
            db.session.scalars(
                select(OutboxMessage.id).order_by(OutboxMessage.id).offset(start).limit(count)
            )
        )


def rows(app) -> dict[str, tuple[OutboxStatus, int]]:
    """Recipient -> (status, attempts) of every outbox row."""
    with app.app_context():
        found = {
            m.recipient: (m.status, m.attempts) for m in db.session.scalars(select(OutboxMessage))
        }
        db.session.commit()
        return found


def expected_message_ids(app) -> dict[str, str]:
    """Recipient -> the Message-ID its row gives (what every copy must carry)."""
    with app.app_context():
        found = {
            m.recipient: sender.build_email(m).msgId
            for m in db.session.scalars(select(OutboxMessage))
        }
        db.session.rollback()
        return found


def deliveries(sink) -> Counter[str]:
    """How many times the server received each Message-ID."""
    return Counter(str(m["Message-ID"]) for m in sink.messages)


class Handler:
    """An aiosmtpd handler around the sink, with a fault chosen per recipient."""

    def __init__(self, sink, delay: float = 0.0) -> None:
        self.sink = sink
        self.delay = delay
        self.answers: dict[str, str] = {}  # recipient -> "451 …" / "550 …"
        self.drop: set[str] = set()
        self.stall: dict[str, threading.Event] = {}  # held until the event is set
        self.arrived: dict[str, threading.Event] = {}
        self.answered: dict[str, threading.Event] = {}
        # Slow the first client down until a second client delivers: two senders that
        # really overlap, however slowly the second process starts on a busy machine. Each
        # message stays far below the stale delay, so no claim looks abandoned meanwhile.
        self.slow_first_client: float = 0.0
        self.peers: list[Any] = []

    async def _pace_the_first_client(self, session) -> None:
        """Keep the first client slow while it is the only one."""
        if session.peer not in self.peers:
            self.peers.append(session.peer)
        if self.slow_first_client and len(self.peers) < 2:
            await asyncio.sleep(self.slow_first_client)

    async def handle_DATA(self, server, session, envelope) -> str:
        """Deliver, refuse, drop the connection or stall, as scripted."""
        recipient = envelope.rcpt_tos[0]
        await self._pace_the_first_client(session)
        if recipient in self.arrived:
            self.arrived[recipient].set()
        if self.delay:
            await asyncio.sleep(self.delay)
        if recipient in self.stall:
            await asyncio.get_running_loop().run_in_executor(None, self.stall[recipient].wait, 30)
            if server.transport is None or server.transport.is_closing():
                return "421 too late"  # the client gave up waiting: nothing was accepted
        if recipient in self.answers:
            return self.answers.pop(recipient)
        if recipient in self.drop:
            self.drop.discard(recipient)
            server.transport.close()  # no answer at all: the client cannot know
            return "421 closing"
        answer = await self.sink.handle_DATA(server, session, envelope)
        if recipient in self.answered:
            asyncio.get_running_loop().call_soon(self.answered[recipient].set)
        return answer


@pytest.fixture
def smtp_handler(smtp_server) -> Iterator[Handler]:
    """A running SMTP server whose faults the test scripts."""
    handler = Handler(smtp_server.sink)
    smtp_server.sink = handler
    smtp_server.start()
    yield handler
    for event in handler.stall.values():
        event.set()


# ----------------------------------------------------------------- overlapping senders


@pytest.mark.app_config(MAIL_SEND_AFTER_COMMIT=False, MAIL_STALE_CLAIM_SECONDS=1.2)
def test_a_pass_longer_than_the_stale_delay_with_a_second_sender_sends_each_message_once(
    app, smtp_handler
):
    queue_messages(app, 10)
    smtp_handler.delay = 0.25  # 10 messages: a pass of 2.5 s, twice the stale delay

    def sender() -> None:
        with app.app_context():
            mail_service.send_due()

    first = threading.Thread(target=sender)
    started = time.monotonic()
    first.start()
    while time.monotonic() - started < 1.6:  # the first claims are older than the delay
        time.sleep(0.05)
    assert first.is_alive(), "the first pass ended before the stale delay"
    second = threading.Thread(target=sender)
    second.start()
    first.join(30)
    second.join(30)

    counts = deliveries(smtp_handler.sink)
    assert sorted(counts.values()) == [1] * 10, counts
    assert set(counts) == set(expected_message_ids(app).values())
    assert {status for status, _ in rows(app).values()} == {OutboxStatus.SENT}


@pytest.mark.app_config(MAIL_STALE_CLAIM_SECONDS=0)
def test_a_sender_whose_claim_was_taken_over_records_nothing(app):
    [message_id] = queue_messages(app, 1)
    with app.app_context():
        slow = claims.claim(message_id, utcnow())
        time.sleep(0.01)
        claims.release_stale_claims()  # a stale delay of 0: the claim is given back
        fast = claims.claim(message_id, utcnow())
        assert slow and fast and slow != fast
        assert claims.record(message_id, sent=True, token=slow) is None
        message = db.session.get(OutboxMessage, message_id, populate_existing=True)
        assert (message.status, message.claim_token, message.sent_at) == (
            OutboxStatus.SENDING,
            fast,
            None,
        )
        outcome = claims.record(message_id, sent=False, error="451 later", token=fast)
        assert outcome is OutboxStatus.PENDING
        assert claims.record(message_id, sent=True, token=slow) is None
        db.session.commit()
    assert rows(app) == {"p0@example.fr": (OutboxStatus.PENDING, 2)}


# ------------------------------------------------------------------ senders as processes


@contextmanager
def process_database(app, backend: str) -> Iterator[tuple[str, Any]]:
    """A database that ``flask`` subprocesses can reach: (URL, an app on it for the checks).

    SQLite: the test's own file. PostgreSQL: the test schema is set through connection
    options a subprocess cannot be given, so a throwaway database is migrated for it.
    """
    if backend == "sqlite":
        yield app.config["SQLALCHEMY_DATABASE_URI"], app
        return
    import psycopg

    name = f"mail_faults_{uuid.uuid4().hex[:10]}"
    server = make_url(PG_URL).set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    checks = create_app(
        {
            **BASE_CONFIG,
            "SQLALCHEMY_DATABASE_URI": url,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": app.config["MAIL_PORT"],
            "MAIL_SEND_AFTER_COMMIT": False,
        }
    )
    try:
        with checks.app_context():
            flask_migrate.upgrade()
        yield url, checks
    finally:
        with checks.app_context():
            db.session.remove()
            db.engine.dispose()
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sender_process(url: str, port: int, **settings: str) -> subprocess.Popen[str]:
    """``flask --app wsgi send-mail`` in a process of its own."""
    env = dict(os.environ)
    env.pop("REDIS_URL", None)
    env.update(
        {
            "APP_ENV": "development",
            "DATABASE_URL": url,
            "SECRET_KEY": "tests-only-secret-for-the-mail-subprocesses",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(port),
            "MAIL_SEND_AFTER_COMMIT": "false",
            "RATELIMIT_ENABLED": "false",
            "HTMX_SOURCE": "local",
            "PYTHONUNBUFFERED": "1",
            **settings,
        }
    )
    return subprocess.Popen(
        [str(FLASK), "--app", "wsgi", "send-mail"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str], timeout: float = 60) -> str:
    """Wait for a sender process; its output, or the test fails with its errors."""
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, f"{out}\n{err}"
    return out


def test_two_sender_processes_drain_thousands_of_messages_each_exactly_once(
    app, backend, smtp_handler
):
    count = int(os.environ.get("MAIL_FAULTS_COUNT", "300"))
    with process_database(app, backend) as (url, checks):
        queue_messages(checks, count)
        smtp_handler.slow_first_client = 0.1
        # The second sender starts when the first one's pass is older than the stale
        # delay: each claim must be judged by its own time, not by its pass's start.
        first = sender_process(url, app.config["MAIL_PORT"], MAIL_STALE_CLAIM_SECONDS="3")
        deadline = time.monotonic() + 30
        while not smtp_handler.sink.messages and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(3.5)
        assert first.poll() is None, "the first sender finished before the second started"
        second = sender_process(url, app.config["MAIL_PORT"], MAIL_STALE_CLAIM_SECONDS="3")
        senders = [first, second]
        outputs = [finish(process) for process in senders]
        counts = deliveries(smtp_handler.sink)
        assert len(counts) == count and set(counts.values()) == {1}, Counter(counts.values())
        assert set(counts) == set(expected_message_ids(checks).values())
        assert Counter(status for status, _ in rows(checks).values()) == {OutboxStatus.SENT: count}
    sent = [int(output.split()[0]) for output in outputs]
    assert sum(sent) == count and min(sent) > 0, outputs


@contextmanager
def database_lock(url: str, message_id: int | None = None) -> Iterator[None]:
    """Another connection holds SQLite's write lock, or a row lock on PostgreSQL."""
    if url.startswith("sqlite"):
        connection = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            connection.execute("ROLLBACK")
            connection.close()
        return
    import psycopg

    with psycopg.connect(url) as connection:
        if message_id is None:
            connection.execute("SELECT id FROM outbox_message FOR UPDATE")
        else:
            connection.execute(
                "SELECT id FROM outbox_message WHERE id = %s FOR UPDATE", (message_id,)
            )
        try:
            yield
        finally:
            connection.rollback()


@pytest.mark.app_config(MAIL_SEND_AFTER_COMMIT=False)
def test_a_sender_killed_between_the_250_and_its_record_is_resent_once_with_the_same_message_id(
    app, backend, smtp_handler
):
    with process_database(app, backend) as (url, checks):
        ids = queue_messages(checks, 5)
        victim = "p2@example.fr"
        smtp_handler.arrived[victim] = arrived = threading.Event()
        smtp_handler.stall[victim] = locked = threading.Event()
        smtp_handler.answered[victim] = answered = threading.Event()
        process = sender_process(url, app.config["MAIL_PORT"], DB_LOCK_TIMEOUT_MS="30000")
        try:
            assert arrived.wait(30), "the sender never reached the third message"
            with database_lock(url, ids[2]):
                locked.set()  # the server says 250 now; recording it waits for the lock
                assert answered.wait(10)
                time.sleep(0.5)
                os.kill(process.pid, signal.SIGKILL)
                process.wait(10)
        finally:
            if process.poll() is None:
                process.kill()
            process.communicate()
        assert process.returncode == -signal.SIGKILL
        state = rows(checks)
        assert state[victim] == (OutboxStatus.SENDING, 1)  # delivered, not recorded
        assert [state[f"p{i}@example.fr"][0] for i in (0, 1, 3, 4)] == [
            OutboxStatus.SENT,
            OutboxStatus.SENT,
            OutboxStatus.PENDING,
            OutboxStatus.PENDING,
        ]

        checks.config["MAIL_STALE_CLAIM_SECONDS"] = 2
        with checks.app_context():
            # At once: the others go out, the dead sender's claim is not stale yet.
            assert mail_service.send_due().sent == 2
            time.sleep(2.2)
            assert mail_service.send_due().sent == 1  # now it is: sent once more
            assert mail_service.send_due().sent == 0
        expected = expected_message_ids(checks)
        counts = deliveries(smtp_handler.sink)
        assert counts == {
            message_id: 2 if recipient == victim else 1
            for recipient, message_id in expected.items()
        }
        copies = [m for m in smtp_handler.sink.messages if m["To"].addresses[0].addr_spec == victim]
        assert [str(m["Message-ID"]) for m in copies] == [expected[victim]] * 2
        assert expected[victim].startswith(f"<outbox-{ids[2]}.")
        assert {status for status, _ in rows(checks).values()} == {OutboxStatus.SENT}


# --------------------------------------------------------------------- the SMTP server


@pytest.mark.app_config(MAIL_SEND_AFTER_COMMIT=False)
@pytest.mark.parametrize(
    ("fault", "status", "untouched", "retried"),
    [
        pytest.param("451 4.3.0 Try again later", OutboxStatus.PENDING, 0, 1, id="4xx"),
        pytest.param("550 5.1.1 No such user", OutboxStatus.FAILED, 0, 0, id="5xx"),
        pytest.param("drop", OutboxStatus.PENDING, 1, 1, id="dropped-connection"),
    ],
)
def test_a_refusal_or_a_dropped_connection_costs_only_that_message(
    app, smtp_handler, fault, status, untouched, retried
):
    queue_messages(app, 3)
    if fault == "drop":
        smtp_handler.drop.add("p1@example.fr")
    else:
        smtp_handler.answers["p1@example.fr"] = fault
    with app.app_context():
        before = utcnow()
        mail_service.send_due()
        message = db.session.scalar(
            select(OutboxMessage).where(OutboxMessage.recipient == "p1@example.fr")
        )
        assert (message.status, message.attempts) == (status, 1)
        assert (fault[:3] if fault != "drop" else "Disconnected") in message.last_error
        if status is OutboxStatus.PENDING:
            assert message.next_attempt_at >= before + timedelta(minutes=1)
        db.session.commit()
    state = rows(app)
    assert state["p0@example.fr"] == (OutboxStatus.SENT, 1)
    # After a 4xx or 5xx the pass goes on; after a drop it stops, the rest left untouched.
    assert state["p2@example.fr"] == (
        (OutboxStatus.PENDING, 0) if fault == "drop" else (OutboxStatus.SENT, 1)
    )
    with app.app_context():
        # The next pass sends what the drop left untouched, not the retry, due later.
        assert mail_service.send_due().sent == untouched
        assert mail_service.send_due(now=utcnow() + timedelta(minutes=2)).sent == retried
        assert mail_service.send_due(now=utcnow() + timedelta(days=1)).sent == 0
    counts = deliveries(smtp_handler.sink)
    assert set(counts.values()) == {1}
    assert len(counts) == (2 if status is OutboxStatus.FAILED else 3)


@pytest.mark.app_config(MAIL_SEND_AFTER_COMMIT=False, MAIL_TIMEOUT=0.5, DB_LOCK_TIMEOUT_MS=2000)
def test_a_hanging_smtp_server_ends_the_pass_and_blocks_no_booking(app, smtp_handler, make_session):
    session_id = make_session(capacity=10)
    queue_messages(app, 3)
    hung = "p1@example.fr"
    smtp_handler.arrived[hung] = arrived = threading.Event()
    smtp_handler.stall[hung] = threading.Event()  # never set: the server says nothing
    elapsed: list[float] = []

    def sender() -> None:
        with app.app_context():
            started = time.monotonic()
            mail_service.send_due()
            elapsed.append(time.monotonic() - started)

    thread = threading.Thread(target=sender)
    thread.start()
    assert arrived.wait(10)
    with app.app_context():
        started = time.monotonic()
        booking_service.book(booking_service.BookingRequest(session_id, "Ada", "ada@example.fr", 1))
        db.session.commit()
        assert time.monotonic() - started < 1.0
    thread.join(10)
    assert elapsed and elapsed[0] < 3, elapsed
    with app.app_context():
        message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == hung))
        assert (message.status, message.attempts) == (OutboxStatus.PENDING, 1)
        assert "timed out" in message.last_error
        assert message.next_attempt_at > utcnow()
        assert db.session.get(EventSession, session_id).seats_taken == 1
        db.session.commit()
    state = rows(app)
    assert state["p0@example.fr"] == (OutboxStatus.SENT, 1)
    assert state["p2@example.fr"] == (OutboxStatus.PENDING, 0)
    smtp_handler.stall.pop(hung).set()
    with app.app_context():
        # The hung one, the one after it and Ada's confirmation, booked meanwhile.
        assert mail_service.send_due(now=utcnow() + timedelta(minutes=2)).sent == 3
    counts = deliveries(smtp_handler.sink)
    assert len(counts) == 4 and set(counts.values()) == {1}, counts


# ----------------------------------------------------------------------- the database


@pytest.mark.app_config(MAIL_SEND_AFTER_COMMIT=False, DB_LOCK_TIMEOUT_MS=300)
@pytest.mark.parametrize("hold", ["briefly", "long"])
def test_a_database_lock_in_the_middle_of_a_pass_marks_nothing_wrongly(app, smtp_handler, hold):
    queue_messages(app, 4)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    held = "p1@example.fr"
    smtp_handler.arrived[held] = arrived = threading.Event()
    smtp_handler.stall[held] = release = threading.Event()
    reports: list[Any] = []

    def sender() -> None:
        with app.app_context():
            reports.append(mail_service.send_due())

    thread = threading.Thread(target=sender)
    thread.start()
    assert arrived.wait(10)
    with lock_for_test(app, url):
        release.set()  # the server accepts it; the sender's record meets the lock
        if hold == "briefly":
            time.sleep(0.45)  # longer than one lock timeout, shorter than three
        else:
            thread.join(10)  # the pass gives up while the lock is still held
    thread.join(10)
    [report] = reports
    state = rows(app)
    counts = deliveries(smtp_handler.sink)
    if hold == "briefly":
        assert report.sent == 4
        assert set(state.values()) == {(OutboxStatus.SENT, 1)}
    else:
        assert report.sent == 1 and report.errors
        assert state == {
            "p0@example.fr": (OutboxStatus.SENT, 1),
            held: (OutboxStatus.SENDING, 1),  # delivered, not marked: the stale delay decides
            "p2@example.fr": (OutboxStatus.PENDING, 0),
            "p3@example.fr": (OutboxStatus.PENDING, 0),
        }
        with app.app_context():
            assert mail_service.send_due().sent == 2
        counts = deliveries(smtp_handler.sink)
    assert len(counts) == 4 and set(counts.values()) == {1}, counts
    assert set(counts) == set(expected_message_ids(app).values())


@contextmanager
def lock_for_test(app, url: str) -> Iterator[None]:
    """SQLite: the write lock. PostgreSQL: a row lock on every outbox row, in the test schema."""
    if url.startswith("sqlite"):
        with database_lock(url):
            yield
        return
    engine = create_engine(url, **app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    with engine.connect() as connection:
        connection.execute(text("SELECT id FROM outbox_message FOR UPDATE"))
        try:
            yield
        finally:
            connection.rollback()
    engine.dispose()
