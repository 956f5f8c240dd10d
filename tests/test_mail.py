"""E-mails through a real SMTP server (aiosmtpd): content, links, QR, calendar, outbox."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import icalendar
import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Booking, BookingStatus, EventSession, OutboxMessage, OutboxStatus
from app.services import booking as booking_service
from app.services import mail as mail_service
from app.services import tickets
from app.timeutil import PARIS, utcnow

from .helpers import form_fields

pytestmark = pytest.mark.smtp

PARTY = {"name": "Marie Curie", "email": "marie@example.fr", "seats": "2"}


def book_via_form(client, session_id, book_form, **overrides) -> str:
    """Book through the public form; return the booking page path."""
    response = client.post(
        f"/sessions/{session_id}", data={**book_form(session_id), **PARTY, **overrides}
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return response.headers["Location"]


def parts(message) -> dict[str, object]:
    """The text, HTML, inline QR and .ics parts of a received message."""
    found: dict[str, object] = {}
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "text/plain" and "text" not in found:
            found["text"] = part.get_content()
        elif kind == "text/html":
            found["html"] = part.get_content()
        elif kind == "image/png":
            found["qr"] = part
        elif kind == "text/calendar":
            found["ics"] = part.get_payload(decode=True)
    return found


def outbox(app) -> list[tuple[str, OutboxStatus]]:
    """(kind, status) of every outbox row."""
    with app.app_context():
        return [
            (m.kind, m.status)
            for m in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        ]


def test_confirmation_mail_has_the_link_qr_code_and_calendar_file(
    app, client, smtp, make_session, book_form
):
    session_id = make_session(capacity=10)
    booking_path = book_via_form(client, session_id, book_form)
    [message] = smtp.wait_for(1)

    # With the booker's name: a bare address is one more point of spam.
    [to] = message["To"].addresses
    assert (to.display_name, to.addr_spec) == ("Marie Curie", "marie@example.fr")
    assert message["Subject"].startswith("Réservation confirmée")
    assert message["Content-Language"] == "fr"
    found = parts(message)
    assert f"http://localhost{booking_path}" in found["text"]
    assert f'href="http://localhost{booking_path}"' in found["html"]
    assert 'src="cid:ticket-qr"' in found["html"]
    with app.app_context():
        booking = db.session.scalar(select(Booking))
        code, starts_at = booking.ticket_code, booking.session.starts_at
    assert code in found["text"]
    assert found["qr"]["Content-ID"] == "<ticket-qr>"
    assert found["qr"].get_payload(decode=True) == tickets.qr_png(code)  # a QR of the ticket code
    calendar = icalendar.Calendar.from_ical(found["ics"])
    [event] = calendar.walk("VEVENT")
    assert event.decoded("dtstart") == starts_at.replace(microsecond=0)  # iCalendar has seconds
    assert str(event["dtstart"].params["TZID"]) == "Europe/Paris"
    assert (
        event.decoded("dtstart").astimezone(PARIS).utcoffset()
        == starts_at.astimezone(PARIS).utcoffset()
    )
    assert outbox(app) == [("confirmed", OutboxStatus.SENT)]
    assert client.get(booking_path).status_code == 200  # the manage link works


def test_english_booking_gets_english_mail(app, client, smtp, make_session, book_form):
    session_id = make_session(capacity=10)
    client.get("/", headers={"Accept-Language": "en"})
    response = client.post(
        f"/sessions/{session_id}",
        data={**book_form(session_id), **PARTY},
        headers={"Accept-Language": "en-GB,en;q=0.9"},
    )
    assert response.status_code == 303
    [message] = smtp.wait_for(1)
    assert message["Subject"].startswith("Booking confirmed")
    assert message["Content-Language"] == "en"
    assert "Hello Marie Curie" in parts(message)["text"]


def test_waiting_list_offer_mail_links_accept_and_decline(
    app, client, smtp, make_session, book_form
):
    session_id = make_session(capacity=2)
    first = book_via_form(client, session_id, book_form)
    waiting = book_via_form(
        client, session_id, book_form, email="lise@example.fr", name="Lise", action="waitlist"
    )
    joined = smtp.wait_for_mail("lise@example.fr", "Liste d’attente")
    assert "position 1" in parts(joined)["text"]

    cancel_page = client.get(f"{first}/cancel").get_data(as_text=True)
    assert client.post(f"{first}/cancel", data=form_fields(cancel_page)).status_code == 303
    offer = smtp.wait_for_mail("lise@example.fr", "Des places se libèrent")
    messages = list(smtp.messages)
    text = parts(offer)["text"]
    accept_url = f"http://localhost{waiting}/accept"
    assert accept_url in text and f"http://localhost{waiting}/decline" in text
    assert any(m["Subject"].startswith("Réservation annulée") for m in smtp.to("marie@example.fr"))

    accept_page = client.get(accept_url.removeprefix("http://localhost"))
    assert accept_page.status_code == 200
    assert (
        client.post(
            f"{waiting}/accept", data=form_fields(accept_page.get_data(as_text=True))
        ).status_code
        == 303
    )
    assert len(messages) >= 3
    confirmed = smtp.wait_for_mail("lise@example.fr", "Réservation confirmée")
    assert "ics" in parts(confirmed)


def test_declining_by_the_mail_link_frees_the_seats(app, client, smtp, make_session, book_form):
    session_id = make_session(capacity=2)
    first = book_via_form(client, session_id, book_form)
    waiting = book_via_form(
        client, session_id, book_form, email="lise@example.fr", name="Lise", action="waitlist"
    )
    client.post(
        f"{first}/cancel", data=form_fields(client.get(f"{first}/cancel").get_data(as_text=True))
    )
    page = client.get(f"{waiting}/decline")
    assert page.status_code == 200 and "Oui, libérer les places" in page.get_data(as_text=True)
    assert (
        client.post(f"{waiting}/decline", data=form_fields(page.get_data(as_text=True))).status_code
        == 303
    )
    with app.app_context():
        assert db.session.get(EventSession, session_id).seats_taken == 0


def test_offer_expired_mail(app, runner, smtp, make_session):
    session_id = make_session(capacity=1)
    with app.app_context():
        first = booking_service.book(
            booking_service.BookingRequest(session_id, "A", "a@example.fr", 1)
        )
        waiting = booking_service.join_waitlist(
            booking_service.BookingRequest(session_id, "W", "w@example.fr", 1)
        )
        db.session.commit()
        booking_service.cancel(first.token)
        db.session.commit()
        db.session.refresh(waiting)
        assert waiting.status is BookingStatus.OFFERED
        waiting.offer_expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    runner.invoke(args=["process-waitlist"])
    runner.invoke(args=["send-mail"])
    subjects = [m["Subject"] for m in smtp.to("w@example.fr")]
    assert any(s.startswith("Proposition expirée") for s in subjects)


def test_reminders_go_out_once_the_day_before(app, runner, smtp, make_session):
    tomorrow = make_session(capacity=5, starts_in=timedelta(days=1, hours=1))
    later = make_session(capacity=5, starts_in=timedelta(days=5))
    with app.app_context():
        # Sessions tomorrow in Paris time: move the first one to 15:00 tomorrow, Paris.
        from app.services.reminders import tomorrow_bounds

        start, _ = tomorrow_bounds(utcnow())
        session = db.session.get(EventSession, tomorrow)
        session.starts_at, session.ends_at = (
            start + timedelta(hours=15),
            start + timedelta(hours=16),
        )
        db.session.commit()
        for session_id in (tomorrow, later):
            booking_service.book(booking_service.BookingRequest(session_id, "R", "r@example.fr", 1))
        db.session.commit()
        # The confirmations are already out of the way for this test.
        db.session.execute(OutboxMessage.__table__.delete())
        db.session.commit()
    first = runner.invoke(args=["send-reminders"])
    second = runner.invoke(args=["send-reminders"])
    assert "1 reminder(s) queued" in first.output
    assert "0 reminder(s) queued" in second.output
    reminders = [m for m in smtp.messages if m["Subject"].startswith("C’est demain")]
    assert len(reminders) == 1
    assert "ics" in parts(reminders[0])


def test_a_moved_booking_gets_its_new_sessions_reminder_and_stops_no_other(
    app, runner, smtp, make_session
):
    from app.services import organiser
    from app.services.reminders import tomorrow_bounds

    morning_id = make_session(capacity=5)
    with app.app_context():
        start, _ = tomorrow_bounds(utcnow())
        morning = db.session.get(EventSession, morning_id)
        morning.starts_at, morning.ends_at = (
            start + timedelta(hours=10),
            start + timedelta(hours=11),
        )
        afternoon = EventSession(
            event_id=morning.event_id,
            starts_at=start + timedelta(hours=15),
            ends_at=start + timedelta(hours=16),
            capacity=5,
        )
        db.session.add(afternoon)
        db.session.commit()
        afternoon_id = afternoon.id
        ada = booking_service.book(
            booking_service.BookingRequest(morning_id, "Ada", "ada@example.fr", 1)
        ).id
        db.session.commit()
    assert "1 reminder(s) queued" in runner.invoke(args=["send-reminders"]).output
    with app.app_context():
        bob = booking_service.book(
            booking_service.BookingRequest(morning_id, "Bob", "bob@example.fr", 1)
        ).id
        db.session.commit()
        organiser.move_booking(ada, afternoon_id, actor="organiser@mines-ales.fr")
        db.session.commit()

    moved = runner.invoke(args=["send-reminders"])
    assert "2 reminder(s) queued" in moved.output, moved.output or repr(moved.exception)

    def reminders(address: str) -> int:
        return sum(1 for m in smtp.to(address) if m["Subject"].startswith("C’est demain"))

    assert (reminders("ada@example.fr"), reminders("bob@example.fr")) == (2, 1)
    with app.app_context():
        keys = db.session.scalars(
            select(OutboxMessage.dedupe_key)
            .where(OutboxMessage.kind == "reminder")
            .order_by(OutboxMessage.id)
        ).all()
        assert keys == [
            f"reminder:{ada}:{morning_id}",
            f"reminder:{ada}:{afternoon_id}",
            f"reminder:{bob}:{morning_id}",
        ]
        # Moved back: the morning's reminder went out already, none is sent twice.
        organiser.move_booking(ada, morning_id, actor="organiser@mines-ales.fr")
        db.session.commit()
    back = runner.invoke(args=["send-reminders"])
    assert "0 reminder(s) queued" in back.output, back.output or repr(back.exception)
    assert (reminders("ada@example.fr"), reminders("bob@example.fr")) == (2, 1)
    with app.app_context():
        assert db.session.get(Booking, ada).reminder_sent_at is not None


def test_with_smtp_down_bookings_succeed_and_every_mail_goes_out_once_it_is_back(
    app, client, runner, smtp_server, make_session, book_form
):
    session_id = make_session(capacity=20)
    for index in range(3):
        book_via_form(client, session_id, book_form, email=f"p{index}@example.fr")
    with app.app_context():
        assert db.session.get(EventSession, session_id).seats_taken == 6
    assert [status for _, status in outbox(app)] == [OutboxStatus.PENDING] * 3
    with app.app_context():  # the outage was nobody's attempt: nothing claimed or rendered
        messages = db.session.scalars(select(OutboxMessage)).all()
        assert [(m.attempts, m.rendered_at) for m in messages] == [(0, None)] * 3

    smtp_server.start()
    with app.app_context():  # the retry time has not come yet: cron would wait; move it
        db.session.execute(OutboxMessage.__table__.update().values(next_attempt_at=utcnow()))
        db.session.commit()
    result = runner.invoke(args=["send-mail"])
    assert "3 sent" in result.output
    again = runner.invoke(args=["send-mail"])
    assert "0 sent" in again.output
    assert sorted(m["To"].addresses[0].addr_spec for m in smtp_server.sink.messages) == [
        f"p{i}@example.fr" for i in range(3)
    ]


def test_a_temporary_refusal_is_retried_later_and_sent_once(
    app, client, smtp, make_session, book_form
):
    smtp.refuse_next = ["451 4.3.0 Try again later"]
    session_id = make_session(capacity=5)
    book_via_form(client, session_id, book_form)
    with app.app_context():
        message = db.session.scalar(select(OutboxMessage))
        assert message.status is OutboxStatus.PENDING and message.attempts == 1
        assert "451" in message.last_error
        assert message.next_attempt_at > utcnow()
        assert mail_service.send_due().sent == 0  # not due yet
        assert mail_service.send_due(now=utcnow() + timedelta(minutes=2)).sent == 1
        assert mail_service.send_due(now=utcnow() + timedelta(hours=2)).sent == 0
    assert len(smtp.messages) == 1


def test_a_permanent_refusal_is_not_retried(app, client, smtp, make_session, book_form):
    smtp.refuse_next = ["550 5.1.1 No such user"]
    book_via_form(client, make_session(capacity=5), book_form)
    with app.app_context():
        message = db.session.scalar(select(OutboxMessage))
        assert message.status is OutboxStatus.FAILED
        assert mail_service.send_due(now=utcnow() + timedelta(days=1)).sent == 0


def test_two_senders_at_once_never_send_a_message_twice(app, smtp, make_session):
    app.config["MAIL_SEND_AFTER_COMMIT"] = False
    session_id = make_session(capacity=30)
    with app.app_context():
        for index in range(12):
            booking_service.book(
                booking_service.BookingRequest(session_id, f"P{index}", f"p{index}@example.fr", 1)
            )
        db.session.commit()
    barrier = threading.Barrier(2)

    def sender() -> None:
        """Drain the outbox at the same moment as the other sender."""
        with app.app_context():
            barrier.wait(timeout=10)
            mail_service.send_due()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    recipients = [m["To"].addresses[0].addr_spec for m in smtp.messages]
    assert sorted(recipients) == sorted(f"p{i}@example.fr" for i in range(12))
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status == OutboxStatus.SENT)
            )
            == 12
        )


class StallingSink:
    """An SMTP handler that holds the first message until the test lets it through."""

    def __init__(self, sink) -> None:
        self.sink = sink
        self.arrived = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope) -> str:
        """Say nothing until released, like a slow or overloaded mail server."""
        import asyncio

        self.arrived.set()
        await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 20)
        return await self.sink.handle_DATA(server, session, envelope)


@pytest.mark.app_config(DB_LOCK_TIMEOUT_MS=2000)
def test_bookings_go_on_while_the_smtp_server_is_slow(app, smtp_server, make_session):
    app.config["MAIL_SEND_AFTER_COMMIT"] = False
    session_id = make_session(capacity=30)
    with app.app_context():
        booking_service.book(booking_service.BookingRequest(session_id, "Ada", "ada@example.fr", 1))
        db.session.commit()
    stalling = StallingSink(smtp_server.sink)
    smtp_server.sink = stalling
    smtp_server.start()

    def deliver() -> None:
        """Drain the outbox, as the sender after a commit or ``flask send-mail`` does."""
        with app.app_context():
            mail_service.send_due()

    sender = threading.Thread(target=deliver)
    sender.start()
    try:
        assert stalling.arrived.wait(10), "the sender never reached the SMTP server"
        # The sender is mid-delivery: it must hold no lock that a booking needs.
        with app.app_context():
            booking_service.book(
                booking_service.BookingRequest(session_id, "Bob", "bob@example.fr", 1)
            )
            db.session.commit()
    finally:
        stalling.release.set()
        sender.join(timeout=30)
    assert [m["To"].addresses[0].addr_spec for m in smtp_server.sink.sink.wait_for(1)] == [
        "ada@example.fr"
    ]
    with app.app_context():
        assert db.session.get(EventSession, session_id).seats_taken == 2


LINK = re.compile(r"https?://[^\s\"'<>]+")


def links_in(message) -> list[str]:
    """Every absolute link of a message, in its text and its HTML part (and its .ics)."""
    found = parts(message)
    texts = [found["text"], found["html"], (found.get("ics") or b"").decode()]
    return [link for text in texts for link in LINK.findall(text)]


@pytest.mark.parametrize(
    ("configured", "expected_root"),
    [("", "http://127.0.0.1:5000/"), ("https://minerales.example", "https://minerales.example/")],
)
def test_a_forged_host_header_never_reaches_the_links_sent_to_someone_else(
    app, client, smtp, make_session, book_form, configured, expected_root
):
    """A cancellation sent with ``Host: evil.example`` mails the next party its secret link."""
    app.config["BASE_URL"] = configured
    session_id = make_session(capacity=2)
    first = book_via_form(client, session_id, book_form)
    book_via_form(
        client, session_id, book_form, email="lise@example.fr", name="Lise", action="waitlist"
    )
    forged = "http://evil.example"
    page = client.get(f"{first}/cancel", base_url=forged)
    assert page.status_code == 200
    response = client.post(
        f"{first}/cancel", data=form_fields(page.get_data(as_text=True)), base_url=forged
    )
    assert response.status_code == 303
    offer = smtp.wait_for_mail("lise@example.fr", "Des places se libèrent")
    cancelled = smtp.wait_for_mail("marie@example.fr", "Réservation annulée")
    for message in (offer, cancelled):
        links = links_in(message)
        assert links, message["Subject"]
        assert all(link.startswith(expected_root) for link in links), links
        assert "evil.example" not in message.as_string()
    with app.app_context():  # nothing the request's host said was kept for a later render
        contexts = [m.context for m in db.session.scalars(select(OutboxMessage))]
        assert all("evil.example" not in repr(context) for context in contexts), contexts
