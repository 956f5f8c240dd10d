"""Personal data: the privacy page and notices, the purge, self-erasure and the export."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import (
    AuditEntry,
    Booking,
    BookingStatus,
    EventSession,
    OutboxMessage,
    OutboxStatus,
    StandbyEntry,
)
from app.services import booking as booking_service
from app.services import checkin, dashboard, exports, organiser, stats
from app.services.ledger import check_ledger
from app.timeutil import utcnow

from .helpers import form_fields

ADA = ("Ada Lovelace", "ada.lovelace@example.fr", "+33 6 12 34 56 78", "fauteuil roulant")
BOB = ("Bob Marley", "bob@example.fr", "0466000000", "")


def book(app, session_id: int, person=ADA, seats: int = 2) -> Booking:
    """Book (or join the waiting list when full) through the services; return the row."""
    name, email, phone, needs = person
    request = booking_service.BookingRequest(
        session_id, name, email, seats, phone=phone, accessibility_needs=needs
    )
    with app.app_context():
        session = db.session.get(EventSession, session_id)
        if session.seats_left >= seats:
            booking = booking_service.book(request)
        else:
            booking = booking_service.join_waitlist(request)
        db.session.commit()
        db.session.refresh(booking)
        db.session.expunge(booking)
        return booking


def move_to_the_past(app, session_id: int, ended_days_ago: int) -> None:
    """Make a session (booked while it was ahead) one that ended some days ago."""
    ends = utcnow() - timedelta(days=ended_days_ago)
    with app.app_context():
        db.session.execute(
            update(EventSession)
            .where(EventSession.id == session_id)
            .values(starts_at=ends - timedelta(hours=2), ends_at=ends)
        )
        db.session.commit()


def everything_stored(app) -> str:
    """Every row of every table as text: personal data must not hide anywhere."""
    with app.app_context(), db.engine.connect() as connection:
        return "\n".join(
            repr(row)
            for table in db.metadata.sorted_tables
            for row in connection.execute(table.select())
        )


def figures(app) -> dict[str, object]:
    """The numbers organisers see: statistics (page and CSV), dashboard totals, ledger."""
    with app.app_context():
        now = utcnow()
        week = dashboard.week_figures()
        return {
            "sessions": [asdict(s) for s in stats.session_stats(now)],
            "per_day": [asdict(d) for d in stats.bookings_per_day()],
            "csv": exports.statistics_csv(now),
            "week": (week.sessions, week.capacity, week.confirmed, week.offered, week.waiting),
            "checked_in": week.checked_in,
            "by_session": {
                sid: (f.confirmed, f.offered, f.waiting, f.waiting_parties, f.checked_in)
                for sid, f in week.by_session.items()
            },
            "ledger": check_ledger(),
        }


# --------------------------------------------------------------------------- the notices


@pytest.mark.app_config(PERSONAL_DATA_RETENTION_DAYS=45, PRIVACY_CONTACT="dpo@example.fr")
def test_the_privacy_page_says_what_why_how_long_and_whom_to_ask(client):
    response = client.get("/privacy")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for kept in ("votre nom", "adresse e-mail", "téléphone", "besoins d’accessibilité"):
        assert kept in html
    assert "Pourquoi" in html and "45 jours après la séance" in html
    assert 'href="mailto:dpo@example.fr"' in html
    assert "CNIL" in html


def test_every_booking_form_carries_the_notice_and_the_link(app, client, make_session):
    open_session, full_session = make_session(capacity=10), make_session(capacity=1)
    book(app, full_session, seats=1)
    for session_id in (open_session, full_session):  # booking form, then waiting-list form
        html = client.get(f"/sessions/{session_id}").get_data(as_text=True)
        assert "privacy-notice" in html and 'href="/privacy"' in html
        assert "30 jours après la séance" in html
    # The panel htmx swaps after a refused form keeps the notice.
    fields = form_fields(client.get(f"/sessions/{open_session}").get_data(as_text=True))
    fragment = client.post(
        f"/sessions/{open_session}",
        data={**fields, "name": "", "email": "x", "seats": "1"},
        headers={"HX-Request": "true", "X-CSRFToken": fields["csrf_token"]},
    )
    assert fragment.status_code == 422 and "privacy-notice" in fragment.get_data(as_text=True)
    # And every page links to the privacy page from its footer.
    assert 'href="/privacy"' in client.get("/").get_data(as_text=True)


# ------------------------------------------------------------------------------ the purge


@pytest.fixture
def week_of_bookings(app, make_session):
    """Three sessions, booked while ahead: one will end 40 days ago, one 5 days ago, one ahead.

    The old session has a confirmed party checked in, a cancelled one, a waiting party with
    a priority reason, a door standby entry with a name, and mail in every state.
    """
    old, recent, ahead = make_session(capacity=4), make_session(capacity=4), make_session()
    ada = book(app, old, ADA, seats=2)
    cancelled = book(app, old, ("Carla", "carla@example.fr", "", ""), seats=1)
    book(app, old, ("Dan", "dan@example.fr", "", ""), seats=3)  # does not fit: Dan waits
    bob = book(app, recent, BOB, seats=1)
    book(app, ahead, ("Eve", "eve@example.fr", "0700000000", ""), seats=1)
    with app.app_context():
        booking_service.cancel(cancelled.token)
        db.session.commit()
        # Carla's cancellation frees two seats only: Dan's party of three still waits.
        dan = db.session.scalar(select(Booking).where(Booking.email == "dan@example.fr"))
        assert dan.status is BookingStatus.WAITING
        organiser.set_priority(dan.id, 1, "Dan Dupont est le guide de sa classe", actor="org")
        checkin.check_in(old, booking_id=ada.id, seats=2, actor="door@mines-ales.fr")
        checkin.add_standby(old, 4, "Fanny Ardant", actor="door@mines-ales.fr")  # waits
        db.session.commit()
        db.session.execute(  # one mail went out, one failed for good (quoting the address)
            update(OutboxMessage)
            .where(OutboxMessage.booking_id == ada.id)
            .values(
                status=OutboxStatus.SENT,
                body_text="Bonjour Ada Lovelace",
                context={"base_url": "http://x/", "custom_body": "Ada Lovelace"},
            )
        )
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.booking_id == bob.id)
            .values(status=OutboxStatus.FAILED, last_error="550 bob@example.fr unknown")
        )
        db.session.commit()
    move_to_the_past(app, old, ended_days_ago=40)
    move_to_the_past(app, recent, ended_days_ago=5)
    return {"old": old, "recent": recent, "ahead": ahead}


def test_purge_anonymises_what_is_past_retention_and_keeps_every_figure(
    app, runner, week_of_bookings
):
    before = figures(app)
    result = runner.invoke(args=["purge-personal-data"])
    assert result.exit_code == 0, result.output
    assert "bookings 3" in result.output  # Ada, Carla and Dan; not Bob (5 days), not Eve

    stored = everything_stored(app)
    for gone in (
        "Ada Lovelace",
        "ada.lovelace@",
        "12 34 56 78",
        "fauteuil",
        "carla@",
        "Dan Dupont",
        "dan@",
        "Fanny Ardant",
    ):
        assert gone not in stored, gone
    for kept in ("bob@example.fr", "Bob Marley", "eve@example.fr", "door@mines-ales.fr"):
        assert kept in stored, kept  # within retention, or staff (not the public)
    assert figures(app) == before

    with app.app_context():
        old = db.session.scalars(
            select(Booking).where(Booking.session_id == week_of_bookings["old"])
        ).all()
        assert all(b.personal_data_purged_at is not None for b in old)
        assert sorted((b.status.value, b.seats, b.checked_in_seats) for b in old) == [
            ("cancelled", 1, 0),
            ("confirmed", 2, 2),
            ("waiting", 3, 0),
        ]
        assert db.session.scalar(select(StandbyEntry.name)) == ""
        assert (
            db.session.scalar(  # nothing left to send to an address we no longer have
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.recipient == "", OutboxMessage.status == OutboxStatus.PENDING)
            )
            == 0
        )
        reasons = db.session.scalars(
            select(AuditEntry.data).where(AuditEntry.action == "waitlist.priority")
        ).all()
        assert reasons == [{"before": 0, "after": 1}]


def test_purge_is_idempotent_and_takes_a_days_option(app, runner, week_of_bookings):
    assert runner.invoke(args=["purge-personal-data"]).exit_code == 0
    snapshot = everything_stored(app)
    again = runner.invoke(args=["purge-personal-data"])
    assert again.exit_code == 0
    assert "bookings 0, standby entries 0, mails 0, audit entries 0" in again.output
    assert everything_stored(app) == snapshot

    shorter = runner.invoke(args=["purge-personal-data", "--days", "3"])
    assert "bookings 1" in shorter.output  # Bob's session ended 5 days ago
    stored = everything_stored(app)
    assert "bob@example.fr" not in stored and "550 bob@" not in stored
    assert "eve@example.fr" in stored  # a session still ahead is never purged
    assert runner.invoke(args=["purge-personal-data", "--days", "-1"]).exit_code != 0


def test_a_purged_booking_link_says_its_data_is_gone(app, client, runner, make_session):
    session_id = make_session()
    token = book(app, session_id).token
    move_to_the_past(app, session_id, ended_days_ago=31)
    runner.invoke(args=["purge-personal-data"])
    for path in (f"/b/{token}", f"/b/{token}/calendar.ics", f"/b/{token}/cancel"):
        response = client.get(path)
        assert response.status_code == 410, path
        assert "ont été effacées" in response.get_data(as_text=True)


# ---------------------------------------------------------------------------- self-erasure


def test_erasing_a_confirmed_booking_cancels_it_offers_the_seats_and_closes_the_link(
    app, client, make_session
):
    session_id = make_session(capacity=2)
    ada = book(app, session_id, ADA, seats=2)
    bob = book(app, session_id, BOB, seats=2)  # waits for two seats
    page = client.get(f"/b/{ada.token}").get_data(as_text=True)
    assert f'href="/b/{ada.token}/erase"' in page

    confirm = client.get(f"/b/{ada.token}/erase")
    html = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and confirm.headers["Cache-Control"] == "no-store"
    assert "sera d’abord annulée" in html
    with app.app_context():  # asking changes nothing
        assert db.session.get(Booking, ada.id).status is BookingStatus.CONFIRMED
    assert client.post(f"/b/{ada.token}/erase").status_code == 400  # no CSRF token

    fields = form_fields(html, action="/erase")
    done = client.post(f"/b/{ada.token}/erase", data=fields)
    assert done.status_code == 303 and done.headers["Location"] == "/erased"
    landing = client.get("/erased").get_data(as_text=True)
    assert "Votre réservation est annulée et vos données sont effacées" in landing

    with app.app_context():
        erased = db.session.get(Booking, ada.id)
        assert erased.status is BookingStatus.CANCELLED and erased.personal_data_purged_at
        assert (erased.name, erased.email, erased.phone, erased.accessibility_needs) == ("",) * 4
        assert db.session.get(Booking, bob.id).status is BookingStatus.OFFERED  # seats moved on
        assert check_ledger() == []
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == "booking.erased")
            )
            == 1
        )
        assert (
            db.session.scalar(  # Bob's offer is on its way; nothing more is sent to Ada
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "offer")
            )
            == 1
        )
    stored = everything_stored(app)
    assert "ada.lovelace@" not in stored and "Ada Lovelace" not in stored
    for path in (f"/b/{ada.token}", f"/b/{ada.token}/erase", f"/b/{ada.token}/calendar.ics"):
        assert client.get(path).status_code == 410
    assert client.post(f"/b/{ada.token}/erase", data=fields).status_code == 410


def test_erasing_from_the_waiting_list_leaves_the_list(app, client, make_session):
    session_id = make_session(capacity=1)
    book(app, session_id, BOB, seats=1)
    ada = book(app, session_id, ADA, seats=1)
    assert ada.status is BookingStatus.WAITING
    fields = form_fields(client.get(f"/b/{ada.token}/erase").get_data(as_text=True), "/erase")
    assert client.post(f"/b/{ada.token}/erase", data=fields).status_code == 303
    with app.app_context():
        assert db.session.get(EventSession, session_id).seats_waiting == 0
        assert check_ledger() == []


def test_once_the_session_has_started_the_seats_stay_but_the_details_go(app, client, make_session):
    session_id = make_session(capacity=5)
    ada = book(app, session_id, ADA, seats=2)
    with app.app_context():
        db.session.execute(
            update(EventSession)
            .where(EventSession.id == session_id)
            .values(starts_at=utcnow() - timedelta(minutes=10))
        )
        db.session.commit()
    fields = form_fields(client.get(f"/b/{ada.token}/erase").get_data(as_text=True), "/erase")
    assert client.post(f"/b/{ada.token}/erase", data=fields).status_code == 303
    assert "Vos données sont effacées." in client.get("/erased").get_data(as_text=True)
    with app.app_context():
        kept = db.session.get(Booking, ada.id)
        assert kept.status is BookingStatus.CONFIRMED and kept.email == ""
        assert db.session.get(EventSession, session_id).seats_taken == 2
        assert check_ledger() == []


# --------------------------------------------------------------------------------- export


def test_an_admin_exports_everything_held_about_one_address(app, client, staff_login, make_session):
    first, second = make_session(capacity=5), make_session(capacity=5)
    ada = book(app, first, ADA, seats=2)
    book(app, second, ("Ada L.", "Ada.Lovelace@Example.fr", "", ""), seats=1)
    book(app, first, BOB, seats=1)
    with app.app_context():
        checkin.check_in(first, booking_id=ada.id, seats=1, actor="door@mines-ales.fr")
        db.session.commit()
    staff_login(client, "admin")
    page = client.get("/admin/privacy/export")
    assert page.status_code == 200
    fields = form_fields(page.get_data(as_text=True), "/admin/privacy/export")

    response = client.post(
        "/admin/privacy/export", data={**fields, "email": " ADA.lovelace@example.FR "}
    )
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Cache-Control"] == "no-store"
    export = json.loads(response.get_data(as_text=True))
    assert export["email"] == "ada.lovelace@example.fr"
    assert sorted(b["name"] for b in export["bookings"]) == ["Ada L.", "Ada Lovelace"]
    assert {b["phone"] for b in export["bookings"]} == {ADA[2], ""}
    assert export["check_ins"][0]["seats"] == 1
    assert {m["recipient"] for m in export["outbox_messages"]} == {"ada.lovelace@example.fr"}
    assert {e["action"] for e in export["audit_entries"]} >= {"booking.confirmed", "checkin.in"}
    assert "bob@example.fr" not in response.get_data(as_text=True)

    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "privacy.exported"))
        assert entry.actor == "admin@mines-ales.fr" and entry.data["bookings"] == 2
        assert "lovelace" not in json.dumps(entry.data).lower()  # the log keeps no address


def test_the_export_checks_the_address_and_is_for_admins_only(app, client, staff_login):
    staff_login(client, "organiser")
    assert client.get("/admin/privacy/export").status_code == 403
    admin = app.test_client()
    staff_login(admin, "admin")
    fields = form_fields(admin.get("/admin/privacy/export").get_data(as_text=True), "/privacy")
    refused = admin.post("/admin/privacy/export", data={**fields, "email": "not-an-address"})
    assert refused.status_code == 422 and "n’est pas valide" in refused.get_data(as_text=True)
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == "privacy.exported")
            )
            == 0
        )


def test_a_mail_being_sent_while_its_booking_is_erased_is_dropped_not_resent_empty(
    app, make_session
):
    """The sender holds the mail when the person erases their data; its SMTP error comes back."""
    from app.services import privacy
    from app.services.mail import claims

    session_id = make_session(capacity=10)
    with app.app_context():
        booking = booking_service.book(
            booking_service.BookingRequest(session_id, "Ada", "ada@example.fr", 2)
        )
        db.session.commit()
        token = booking.token
        db.session.execute(update(OutboxMessage).values(status=OutboxStatus.SENDING, attempts=1))
        db.session.commit()
        claimed = db.session.scalar(select(OutboxMessage.id))

        privacy.erase_booking(token)
        db.session.commit()
        assert claims.record(claimed, sent=False, error="451 try later") is OutboxStatus.FAILED
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
