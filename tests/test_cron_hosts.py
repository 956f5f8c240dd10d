"""Every cron command run by two hosts at the same minute: nothing done twice, nothing lost.

Each "host" is a ``flask --app wsgi`` process of its own on one PostgreSQL database
(tests/hosts.py). ``send-mail`` and ``process-waitlist`` share the work row by row;
``send-reminders`` and ``purge-personal-data`` let one host do the batch (app/cli.py).
"""

from __future__ import annotations

import asyncio
import collections
import re
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from app.cli import advisory_key
from app.extensions import db
from app.models import AuditEntry, Booking, BookingStatus, OutboxMessage, OutboxStatus
from app.services import booking as booking_service
from app.timeutil import utcnow

from .conftest import free_port
from .hosts import finish, host_app_fixture, host_database_fixture, host_environment, start_command  # noqa: F401  (fixtures)

pytestmark = pytest.mark.postgresql


@pytest.fixture
def app(host_app):
    """``make_session`` and friends take ``app``: here it is the hosts' one."""
    return host_app


def book(app, session_id: int, who: str, *, waiting: bool = False) -> str:
    """Book one seat (or join the waiting list) through the service; the token."""
    with app.app_context():
        request = booking_service.BookingRequest(session_id, who, f"{who}@example.fr", 1)
        action = booking_service.join_waitlist if waiting else booking_service.book
        booking = action(request)
        db.session.commit()
        return booking.token


def count(app, statement) -> int:
    """One number from the database."""
    with app.app_context():
        return int(db.session.scalar(statement) or 0)


def run_twice_at_once(env, *args: str) -> list[str]:
    """Start the command on two "hosts" together; both outputs, once both succeeded."""
    processes = [start_command(list(args), env) for _ in range(2)]
    return [finish(process) for process in processes]


def test_two_hosts_expire_each_lapsed_offer_once(app, host_database, make_session):
    session_id = make_session(capacity=6)
    holders = [book(app, session_id, f"holder{i}") for i in range(6)]
    for i in range(12):
        book(app, session_id, f"waiting{i}", waiting=True)
    for token in holders:
        with app.app_context():
            booking_service.cancel(token)
            db.session.commit()
    with app.app_context():
        offered = db.session.scalars(
            select(Booking).where(Booking.status == BookingStatus.OFFERED)
        ).all()
        assert len(offered) == 6
        for booking in offered:
            booking.offer_expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()

    run_twice_at_once(host_environment(host_database), "process-waitlist")

    expired = (
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "waitlist.expired")
    )
    assert count(app, expired) == 6
    statuses = select(func.count(Booking.id)).where(Booking.status == BookingStatus.EXPIRED)
    assert count(app, statuses) == 6
    # The six seats went to the next six parties, once each.
    now_offered = select(func.count(Booking.id)).where(Booking.status == BookingStatus.OFFERED)
    assert count(app, now_offered) == 6
    expiry_mail = select(func.count(OutboxMessage.id)).where(OutboxMessage.kind == "offer_expired")
    assert count(app, expiry_mail) == 6
    with app.app_context():
        from app.services.ledger import check_ledger

        assert check_ledger() == []


def test_two_hosts_release_each_due_group_hold_once(app, host_database, make_session):
    from sqlalchemy import update

    from app.models import GroupHold
    from app.services import group_holds
    from app.services.ledger import check_ledger

    sessions = [make_session(capacity=4) for _ in range(3)]
    with app.app_context():
        for session_id in sessions:
            group_holds.hold_seats(
                session_id, 3, "CE1", utcnow() + timedelta(hours=1), actor="test"
            )
        db.session.commit()
    for session_id in sessions:
        book(app, session_id, f"public{session_id}")
        book(app, session_id, f"waiting{session_id}", waiting=True)
    with app.app_context():  # their time has come
        db.session.execute(update(GroupHold).values(release_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()

    outputs = run_twice_at_once(host_environment(host_database), "process-waitlist")

    released = select(func.count()).where(AuditEntry.action == "group_hold.released")
    assert count(app, released) == 3
    each = [int(re.search(r"(\d+) group hold\(s\) released", o).group(1)) for o in outputs]
    assert sum(each) == 3, outputs
    # Each session's freed seats went to its waiting party, once.
    offered = select(func.count(Booking.id)).where(Booking.status == BookingStatus.OFFERED)
    assert count(app, offered) == 3
    with app.app_context():
        assert check_ledger() == []


class SlowSink:
    """An SMTP server that takes a little while per message and counts what it gets."""

    def __init__(self) -> None:
        self.received: collections.Counter[str] = collections.Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        await asyncio.sleep(0.02)
        with self.lock:
            for recipient in envelope.rcpt_tos:
                self.received[recipient] += 1
        return "250 Message accepted"


def test_two_hosts_send_each_message_once(app, host_database, make_session):
    from aiosmtpd.controller import Controller

    app.config["MAIL_SEND_AFTER_COMMIT"] = False
    session_id = make_session(capacity=40)
    for i in range(40):
        book(app, session_id, f"visitor{i}")
    pending = select(func.count(OutboxMessage.id)).where(
        OutboxMessage.status == OutboxStatus.PENDING
    )
    assert count(app, pending) == 40
    sink = SlowSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        env = host_environment(host_database, MAIL_PORT=str(port))
        outputs = run_twice_at_once(env, "send-mail")
    finally:
        controller.stop()
    assert sum(sink.received.values()) == 40, outputs
    assert set(sink.received.values()) == {1}
    sent_by = [int(output.split(" sent")[0].split()[-1]) for output in outputs]
    assert sum(sent_by) == 40
    assert count(app, pending) == 0


def tomorrow_session(make_session, **fields) -> int:
    """A session tomorrow afternoon, Paris time (what send-reminders looks for)."""
    from app.timeutil import PARIS, paris

    now = utcnow()
    start = paris(now).replace(hour=15, minute=0, second=0, microsecond=0) + timedelta(days=1)
    return make_session(starts_in=start.astimezone(PARIS) - now, **fields)


def test_two_hosts_queue_each_reminder_once(app, host_database, make_session):
    session_id = tomorrow_session(make_session, capacity=30)
    for i in range(25):
        book(app, session_id, f"visitor{i}")
    reminders = select(func.count(OutboxMessage.id)).where(OutboxMessage.kind == "reminder")
    outputs = run_twice_at_once(host_environment(host_database), "send-reminders")
    assert count(app, reminders) == 25
    queued = [
        int(output.split(" reminder")[0].split()[-1]) for output in outputs if "queued" in output
    ]
    assert sum(queued) == 25, outputs


def test_a_host_that_finds_the_batch_taken_does_nothing(app, host_database, make_session):
    """While one host holds a batch command's lock, another host's run skips it, and says so."""
    session_id = tomorrow_session(make_session)
    book(app, session_id, "visitor")
    env = host_environment(host_database)
    reminders = select(func.count(OutboxMessage.id)).where(OutboxMessage.kind == "reminder")
    for command in ("send-reminders", "purge-personal-data"):
        with app.app_context():
            connection = db.engine.connect()
            transaction = connection.begin()
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": advisory_key(command)}
            )
            try:
                output = finish(
                    start_command(
                        [command, "--days", "0"] if "purge" in command else [command], env
                    )
                )
            finally:
                transaction.rollback()
                connection.close()
        assert "another host is running it" in output
    assert count(app, reminders) == 0
    # Once the lock is free, the next run does the work.
    finish(start_command(["send-reminders"], env))
    assert count(app, reminders) == 1


def test_two_hosts_purge_at_once_and_agree(app, host_database, make_session):
    session_id = make_session(starts_in=-timedelta(days=40))
    with app.app_context():
        from app.models import EventSession

        session = db.session.get(EventSession, session_id)
        session.capacity = 30
        for i in range(30):
            db.session.add(
                Booking(
                    session_id=session_id,
                    token=f"t{i:063d}",
                    ticket_code=f"C{i:07d}",
                    name=f"Visiteur {i}",
                    email=f"v{i}@example.fr",
                    seats=1,
                    status=BookingStatus.CONFIRMED,
                )
            )
        db.session.commit()
    outputs = run_twice_at_once(host_environment(host_database), "purge-personal-data")
    purged = select(func.count(Booking.id)).where(Booking.personal_data_purged_at.is_not(None))
    assert count(app, purged) == 30
    named = select(func.count(Booking.id)).where(Booking.name.like("Visiteur%"))
    assert count(app, named) == 0
    done = [output for output in outputs if "anonymised" in output]
    assert done, outputs


def test_a_long_running_sender_delivers_what_the_web_workers_leave(
    app, host_database, make_session
):
    from aiosmtpd.controller import Controller

    sink = SlowSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    env = host_environment(host_database, MAIL_PORT=str(port), MAIL_SEND_AFTER_COMMIT="false")
    sender = start_command(["send-mail", "--every", "0.2"], env)
    try:
        session_id = make_session()
        for i in range(3):
            book(app, session_id, f"late{i}")
        deadline = time.monotonic() + 30
        while sum(sink.received.values()) < 3 and time.monotonic() < deadline:
            assert sender.poll() is None, sender.communicate()[0]
            time.sleep(0.1)
    finally:
        sender.terminate()
        sender.communicate(timeout=30)
        controller.stop()
    assert sorted(sink.received) == [f"late{i}@example.fr" for i in range(3)]
