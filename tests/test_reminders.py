"""Reminders when the organisers want them: each rule once per booking, whatever happens.

Through the real SMTP server and ``flask send-reminders``, on both databases.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Booking, EventSession, OutboxMessage, SentReminder
from app.services import booking as booking_service
from app.services import organiser
from app.services.reminders import DelayTaken, InvalidDelay, add_rule, queue_reminders
from app.timeutil import utcnow

pytestmark = pytest.mark.smtp

ORGANISER = "organiser@mines-ales.fr"


def reminders_to(smtp, address: str) -> list:
    """The reminders that reached ``address``, in order."""
    return [m for m in smtp.to(address) if is_reminder(m)]


def is_reminder(message) -> bool:
    """Reminders say « C’est … » in French and "Reminder:" in English by default."""
    subject = str(message["Subject"])
    return subject.startswith(("C’est", "Reminder:"))


@pytest.fixture
def hike(app, make_session):
    """A hike in 26 hours with reminders 2 days and 3 hours before; three parties booked
    five days ago (one French, one English, one cancelled since); no confirmation left."""
    session_id = make_session(capacity=20, starts_in=timedelta(hours=26), title="Vialas")
    with app.app_context():
        session = db.session.get(EventSession, session_id)
        add_rule(session.event_id, 2 * 24 * 60, actor=ORGANISER)
        add_rule(session.event_id, 3 * 60, actor=ORGANISER)
        ids = {}
        for name, locale in (("fr", "fr"), ("en", "en"), ("gone", "fr")):
            booking = booking_service.book(
                booking_service.BookingRequest(
                    session_id, name.title(), f"{name}@example.fr", 2, locale=locale
                )
            )
            booking.created_at = utcnow() - timedelta(days=5)
            ids[name] = booking.id
        db.session.commit()
        booking_service.cancel(db.session.get(Booking, ids["gone"]).token)
        db.session.commit()
        other = EventSession(
            event_id=session.event_id,
            starts_at=session.starts_at + timedelta(hours=4),
            ends_at=session.ends_at + timedelta(hours=4),
            capacity=20,
        )
        db.session.add(other)
        db.session.execute(OutboxMessage.__table__.delete())
        db.session.commit()
        return {"session": session_id, "other": other.id, "event": session.event_id, **ids}


def sent_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(SentReminder))


def test_two_reminders_each_sent_once_per_booking_in_the_bookers_language(app, runner, smtp, hike):
    # 2 days before has passed (the hike is in 26 h); 3 hours before has not.
    first = runner.invoke(args=["send-reminders"])
    assert "2 reminder(s) queued" in first.output, first.output or repr(first.exception)
    assert "0 reminder(s) queued" in runner.invoke(args=["send-reminders"]).output
    smtp.wait_for(2)
    with app.app_context():
        # 23 hours later, 3 hours before the start: the second reminder, once.
        later = utcnow() + timedelta(hours=23, minutes=1)
        assert queue_reminders(later) == 2
        db.session.commit()
        assert queue_reminders(later) == 0
        db.session.commit()
    runner.invoke(args=["send-mail"])
    smtp.wait_for(4)
    french, english = reminders_to(smtp, "fr@example.fr"), reminders_to(smtp, "en@example.fr")
    assert len(french) == len(english) == 2
    assert reminders_to(smtp, "gone@example.fr") == []
    assert str(french[0]["Subject"]).startswith("C’est demain")
    assert str(english[0]["Subject"]).startswith("Reminder: Vialas, tomorrow")
    text = english[1].get_body(("plain",)).get_content()
    assert "I can’t come" in text and "/b/" in text
    assert sent_count(app) == 4


def test_a_moved_booking_is_not_reminded_again(app, runner, smtp, hike):
    assert "2 reminder(s) queued" in runner.invoke(args=["send-reminders"]).output
    with app.app_context():
        organiser.move_booking(hike["fr"], hike["other"], actor=ORGANISER)
        db.session.commit()
    again = runner.invoke(args=["send-reminders"])
    assert "0 reminder(s) queued" in again.output, again.output
    smtp.wait_for(2)
    assert len(reminders_to(smtp, "fr@example.fr")) == 1


def test_no_rule_no_reminder_for_a_cancelled_session(app, runner, smtp, hike):
    with app.app_context():
        organiser.cancel_session(hike["session"], actor=ORGANISER)
        db.session.commit()
        db.session.execute(OutboxMessage.__table__.delete())
        db.session.commit()
    assert "0 reminder(s) queued" in runner.invoke(args=["send-reminders"]).output


def test_two_runs_at_once_send_each_reminder_once(app, smtp, hike):
    start = threading.Barrier(2)
    counts: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with app.app_context():
                start.wait(timeout=10)
                counts.append(queue_reminders())
                db.session.commit()
        except BaseException as error:  # the assertion below shows it
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(counts) == [0, 2]
    assert sent_count(app) == 2
    smtp.wait_for(2)
    with app.app_context():
        from app.services.mail import send_due

        send_due()
    assert len(reminders_to(smtp, "fr@example.fr")) == 1
    assert len(reminders_to(smtp, "en@example.fr")) == 1


def test_a_rules_delay_is_checked(app, hike):
    with app.app_context():
        with pytest.raises(InvalidDelay):
            add_rule(hike["event"], 5, actor=ORGANISER)
        with pytest.raises(DelayTaken):
            add_rule(hike["event"], 180, actor=ORGANISER)
