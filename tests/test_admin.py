"""The organisers' dashboard, through its forms with CSRF on, on both databases."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEntry, Booking, BookingStatus, Event, EventSession, OutboxMessage
from app.services import booking as booking_service
from app.services.ledger import check_ledger
from app.timeutil import paris, utcnow

from .helpers import form_fields


@pytest.fixture
def organiser(client, staff_login):
    """A client signed in as an organiser."""
    return staff_login(client, "organiser")


def book(app, session_id, seats, who="Ada", email=None, waiting=False) -> int:
    """A booking (or a waiting party) made through the service; returns its id."""
    with app.app_context():
        request = booking_service.BookingRequest(
            session_id, who, email or f"{who.lower()}@example.fr", seats
        )
        booking = (booking_service.join_waitlist if waiting else booking_service.book)(request)
        db.session.commit()
        return booking.id


def status_of(app, booking_id) -> BookingStatus:
    """A booking's status."""
    with app.app_context():
        return db.session.get(Booking, booking_id).status


def session_page(client, session_id) -> str:
    """The dashboard's session page."""
    response = client.get(f"/admin/sessions/{session_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def token(client, session_id) -> str:
    """A CSRF token from the session page."""
    return form_fields(session_page(client, session_id), "/capacity")["csrf_token"]


def test_overview_shows_every_session_and_flags_waiting_lists(app, organiser, make_session):
    quiet = make_session(capacity=10, title="Film du midi")
    busy = make_session(capacity=2, title="Exposition commentée")
    book(app, busy, 2)
    book(app, busy, 1, "Lise", waiting=True)
    html = organiser.get("/admin/").get_data(as_text=True)
    assert f"/admin/sessions/{quiet}" in html and f"/admin/sessions/{busy}" in html
    assert "2 / 2" in html and 'class="row--attention"' in html
    assert "1 place" in html  # waiting


def test_raising_capacity_offers_seats_and_lowering_too_far_is_refused(
    app, organiser, make_session
):
    session_id = make_session(capacity=2)
    book(app, session_id, 2)
    waiting = book(app, session_id, 2, "Lise", waiting=True)
    too_low = organiser.post(
        f"/admin/sessions/{session_id}/capacity",
        data={"csrf_token": token(organiser, session_id), "capacity": "1"},
    )
    assert too_low.status_code == 409
    assert "2\u00a0places sont déjà réservées" in too_low.get_data(
        as_text=True
    ) or "2 places sont déjà réservées" in too_low.get_data(as_text=True)
    not_a_number = organiser.post(
        f"/admin/sessions/{session_id}/capacity",
        data={"csrf_token": token(organiser, session_id), "capacity": "beaucoup"},
    )
    assert not_a_number.status_code == 422
    raised = organiser.post(
        f"/admin/sessions/{session_id}/capacity",
        data={"csrf_token": token(organiser, session_id), "capacity": "4"},
    )
    assert raised.status_code == 303
    assert status_of(app, waiting) is BookingStatus.OFFERED
    with app.app_context():
        assert db.session.get(EventSession, session_id).capacity == 4
        assert check_ledger() == []
        assert db.session.scalar(
            select(AuditEntry.data).where(AuditEntry.action == "session.capacity")
        ) == {"before": 2, "after": 4}


def test_cancelling_a_session_mails_everyone_booked_or_waiting(app, organiser, make_session):
    session_id = make_session(capacity=2)
    booked = book(app, session_id, 2)
    waiting = book(app, session_id, 1, "Lise", waiting=True)
    confirm = organiser.get(f"/admin/sessions/{session_id}/cancel")
    assert "Oui, annuler la séance" in confirm.get_data(as_text=True)
    response = organiser.post(
        f"/admin/sessions/{session_id}/cancel", data=form_fields(confirm.get_data(as_text=True), "")
    )
    assert response.status_code == 303
    assert status_of(app, booked) is status_of(app, waiting) is BookingStatus.CANCELLED
    with app.app_context():
        session = db.session.get(EventSession, session_id)
        assert (
            session.cancelled_at is not None
            and session.seats_taken == 0
            and session.seats_waiting == 0
        )
        kinds = db.session.scalars(
            select(OutboxMessage.kind).where(OutboxMessage.kind == "session_cancelled")
        ).all()
        assert len(kinds) == 2


def test_duplicating_a_session_copies_length_and_capacity(app, organiser, make_session):
    session_id = make_session(capacity=20)
    with app.app_context():
        original = db.session.get(EventSession, session_id)
        new_start = paris(original.starts_at + timedelta(days=1))
    response = organiser.post(
        f"/admin/sessions/{session_id}/duplicate",
        data={
            "csrf_token": token(organiser, session_id),
            "starts_at": new_start.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 303
    copy_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    with app.app_context():
        copy, original = (
            db.session.get(EventSession, copy_id),
            db.session.get(EventSession, session_id),
        )
        assert copy.event_id == original.event_id and copy.capacity == 20
        assert copy.ends_at - copy.starts_at == original.ends_at - original.starts_at
        assert paris(copy.starts_at).strftime("%Y-%m-%dT%H:%M") == new_start.strftime(
            "%Y-%m-%dT%H:%M"
        )


def test_phone_booking_goes_through_the_same_seat_rules(app, organiser, make_session):
    session_id = make_session(capacity=10)
    form = form_fields(
        organiser.get(f"/admin/sessions/{session_id}/bookings/new").get_data(as_text=True), ""
    )
    data = {
        **form,
        "name": "Jean Rouault",
        "email": "jean@example.fr",
        "phone": "04 66 00 00 00",
        "seats": "8",
    }
    assert (
        organiser.post(f"/admin/sessions/{session_id}/bookings/new", data=data).status_code == 303
    )  # above the public's 6
    too_many = organiser.post(
        f"/admin/sessions/{session_id}/bookings/new", data={**data, "seats": "3"}
    )
    assert too_many.status_code == 409 and "Il ne reste plus que 2" in too_many.get_data(
        as_text=True
    )
    bad = organiser.post(
        f"/admin/sessions/{session_id}/bookings/new", data={**data, "email": "pas une adresse"}
    )
    assert bad.status_code == 422
    with app.app_context():
        [booking] = db.session.scalars(select(Booking)).all()
        assert booking.source == "phone" and booking.seats == 8
        assert db.session.get(EventSession, session_id).seats_taken == 8


def test_cancelling_a_booking_from_the_dashboard_offers_the_seats(app, organiser, make_session):
    session_id = make_session(capacity=2)
    booked = book(app, session_id, 2)
    waiting = book(app, session_id, 2, "Lise", waiting=True)
    response = organiser.post(
        f"/admin/bookings/{booked}/cancel", data={"csrf_token": token(organiser, session_id)}
    )
    assert response.status_code == 303
    assert status_of(app, booked) is BookingStatus.CANCELLED
    assert status_of(app, waiting) is BookingStatus.OFFERED


def test_moving_a_booking_to_another_session_of_the_same_event(app, organiser, make_session):
    first = make_session(capacity=5)
    with app.app_context():
        event_id = db.session.get(EventSession, first).event_id
        source = db.session.get(EventSession, first)
        second_session = EventSession(
            event_id=event_id,
            starts_at=source.starts_at + timedelta(hours=1),
            ends_at=source.ends_at + timedelta(hours=1),
            capacity=3,
        )
        db.session.add(second_session)
        db.session.commit()
        second = second_session.id
    other_event = make_session(capacity=5, title="Autre")
    booking = book(app, first, 3)
    page = organiser.get(f"/admin/bookings/{booking}/move").get_data(as_text=True)
    assert f'value="{second}"' in page and f'value="{other_event}"' not in page
    refused = organiser.post(
        f"/admin/bookings/{booking}/move",
        data={**form_fields(page, ""), "target": str(other_event)},
    )
    assert refused.status_code == 422  # not a choice of this event
    moved = organiser.post(
        f"/admin/bookings/{booking}/move", data={**form_fields(page, ""), "target": str(second)}
    )
    assert moved.status_code == 303
    with app.app_context():
        assert db.session.get(Booking, booking).session_id == second
        assert db.session.get(EventSession, first).seats_taken == 0
        assert db.session.get(EventSession, second).seats_taken == 3
        assert check_ledger() == []


def test_offering_seats_by_hand_on_a_manual_event(app, organiser, make_session):
    session_id = make_session(capacity=2)
    with app.app_context():
        db.session.get(EventSession, session_id).event.waitlist_auto = False
        db.session.commit()
    booked = book(app, session_id, 2)
    first = book(app, session_id, 2, "First", waiting=True)
    second = book(app, session_id, 1, "Second", waiting=True)
    organiser.post(
        f"/admin/bookings/{booked}/cancel", data={"csrf_token": token(organiser, session_id)}
    )
    assert status_of(app, first) is BookingStatus.WAITING  # manual: nothing automatic
    response = organiser.post(
        f"/admin/bookings/{second}/offer", data={"csrf_token": token(organiser, session_id)}
    )
    assert response.status_code == 303
    assert status_of(app, second) is BookingStatus.OFFERED
    with app.app_context():
        assert check_ledger() == []


def test_priority_changes_the_queue_and_needs_a_reason(app, organiser, make_session):
    session_id = make_session(capacity=1)
    book(app, session_id, 1)
    first = book(app, session_id, 1, "First", waiting=True)
    second = book(app, session_id, 1, "Second", waiting=True)
    no_reason = organiser.post(
        f"/admin/bookings/{second}/priority",
        data={"csrf_token": token(organiser, session_id), "priority": "5", "reason": ""},
        follow_redirects=True,
    )
    assert "Indiquez la raison" in no_reason.get_data(as_text=True)
    organiser.post(
        f"/admin/bookings/{second}/priority",
        data={
            "csrf_token": token(organiser, session_id),
            "priority": "5",
            "reason": "Fauteuil roulant, venue de loin",
        },
    )
    html = session_page(organiser, session_id)
    assert html.index("Second") < html.index("First", html.index("Liste d’attente"))
    with app.app_context():
        assert db.session.get(Booking, second).priority_reason == "Fauteuil roulant, venue de loin"
        assert first != second


def test_attendee_search_is_accent_blind_and_works_as_an_htmx_fragment(
    app, organiser, make_session
):
    session_id = make_session(capacity=10)
    book(app, session_id, 1, "Hélène Boucher")
    book(app, session_id, 1, "Jean Moulin")
    fragment = organiser.get(
        f"/admin/sessions/{session_id}?q=helene",
        headers={"HX-Request": "true", "HX-Target": "people"},
    )
    html = fragment.get_data(as_text=True)
    assert "<html" not in html and "Hélène Boucher" in html and "Jean Moulin" not in html
    assert "Jean Moulin" in session_page(organiser, session_id)


def test_csv_exports_keep_accents_and_defuse_formulas(app, organiser, make_session):
    session_id = make_session(capacity=10)
    book(app, session_id, 2, "Françoise Dürr")
    book(app, session_id, 1, '=HYPERLINK("http://evil")')
    response = organiser.get(f"/admin/sessions/{session_id}/attendees.csv")
    assert response.headers["Content-Type"].startswith("text/csv")
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: spreadsheets show accents right
    text = body.decode("utf-8-sig")
    assert "Françoise Dürr;" in text
    assert "'=HYPERLINK" in text
    assert text.splitlines()[0].startswith("Nom;E-mail;")
    waiting = (
        organiser.get(f"/admin/sessions/{session_id}/waitlist.csv").get_data().decode("utf-8-sig")
    )
    assert waiting.splitlines()[0].startswith("Position;Nom;")


def test_printable_list_has_every_attendee(app, organiser, make_session):
    session_id = make_session(capacity=10)
    book(app, session_id, 2, "Irène Curie")
    html = organiser.get(f"/admin/sessions/{session_id}/print").get_data(as_text=True)
    assert "Irène Curie" in html and "☐" in html


def test_messages_go_to_the_chosen_audience_through_the_outbox(app, organiser, make_session, smtp):
    session_id = make_session(capacity=1)
    book(app, session_id, 1, "Booked")
    book(app, session_id, 1, "Waiting", waiting=True)
    with app.app_context():
        db.session.execute(OutboxMessage.__table__.delete())
        db.session.commit()
    page = organiser.get(f"/admin/messages?session={session_id}").get_data(as_text=True)
    fields = form_fields(page, "/admin/messages")
    data = {
        "csrf_token": fields["csrf_token"],
        "session": str(session_id),
        "audience": "waitlist",
        "subject_fr": "Changement de salle",
        "body_fr": "Rendez-vous salle 2.",
    }
    empty = organiser.post("/admin/messages", data={**data, "body_fr": ""})
    assert empty.status_code == 422
    assert "Écrivez l’objet et le texte en français." in empty.get_data(as_text=True)
    assert organiser.post("/admin/messages", data=data).status_code == 303
    sent = smtp.wait_for(1)
    assert [m["To"].addresses[0].addr_spec for m in sent] == ["waiting@example.fr"]
    assert sent[0]["Subject"].endswith("Changement de salle")
    assert "Rendez-vous salle 2." in sent[0].get_body(("plain",)).get_content()


def test_creating_an_event_and_its_session(app, organiser, make_session):
    make_session()  # a venue to choose
    page = organiser.get("/admin/events/new").get_data(as_text=True)
    fields = form_fields(page, "")
    with app.app_context():
        venue_id = db.session.scalar(select(Event.venue_id))
    data = {
        "csrf_token": fields["csrf_token"],
        "title": "Minéraux fluorescents",
        "kind": "visit",
        "venue_id": str(venue_id),
        "waitlist_auto": "y",
    }
    assert organiser.post("/admin/events/new", data={**data, "title": ""}).status_code == 422
    assert organiser.post("/admin/events/new", data=data).status_code == 303
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.title == "Minéraux fluorescents"))
        assert event.slug == "mineraux-fluorescents"
    session_form = form_fields(
        organiser.get(f"/admin/events/{event.id}/sessions/new").get_data(as_text=True), ""
    )
    times = {"starts_at": "2031-05-27T14:00", "ends_at": "2031-05-27T14:45", "capacity": "15"}
    backwards = organiser.post(
        f"/admin/events/{event.id}/sessions/new",
        data={**session_form, **times, "ends_at": "2031-05-27T13:00"},
    )
    assert (
        backwards.status_code == 422
        and "La fin doit être après le début." in backwards.get_data(as_text=True)
    )
    assert (
        organiser.post(
            f"/admin/events/{event.id}/sessions/new", data={**session_form, **times}
        ).status_code
        == 303
    )
    with app.app_context():
        session = db.session.scalar(select(EventSession).where(EventSession.event_id == event.id))
        assert paris(session.starts_at).strftime("%H:%M") == "14:00" and session.capacity == 15
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.actor == "organiser@mines-ales.fr")
            )
            >= 2
        )


def test_the_audit_log_is_for_admins(app, client, staff_login, make_session):
    staff_login(client, "admin")
    session_id = make_session(capacity=3)
    client.post(
        f"/admin/sessions/{session_id}/capacity",
        data={"csrf_token": token(client, session_id), "capacity": "5"},
    )
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "session.capacity" in html and "admin@mines-ales.fr" in html


def test_cancel_links_ask_first_and_never_cancel_on_get(app, organiser, make_session):
    session_id = make_session(capacity=3)
    booked = book(app, session_id, 2, "Ada")
    page = organiser.get(f"/admin/bookings/{booked}/cancel")
    assert page.status_code == 200 and "Annuler la réservation de Ada" in page.get_data(
        as_text=True
    )
    assert status_of(app, booked) is BookingStatus.CONFIRMED


def test_the_overview_warns_about_mail_that_could_not_be_sent(app, organiser, make_session):
    from app.models import OutboxStatus

    session_id = make_session(capacity=3)
    book(app, session_id, 1)
    with app.app_context():
        message = db.session.scalar(select(OutboxMessage))
        message.status = OutboxStatus.FAILED
        db.session.commit()
    assert "1 e-mail n’a pas pu être envoyé" in organiser.get("/admin/").get_data(as_text=True)


def test_admins_create_staff_accounts_from_the_dashboard(app, client, staff_login):
    from app.models import Role, StaffUser

    staff_login(client, "admin")
    fields = form_fields(client.get("/admin/staff").get_data(as_text=True), "")
    data = {
        "csrf_token": fields["csrf_token"],
        "email": "porte@mines-ales.fr",
        "name": "Porte",
        "role": "checkin",
    }
    short = client.post("/admin/staff", data={**data, "password": "court"})
    assert short.status_code == 422 and "au moins 10 caractères" in short.get_data(as_text=True)
    assert (
        client.post(
            "/admin/staff", data={**data, "password": "assez-long-pour-la-porte"}
        ).status_code
        == 303
    )
    with app.app_context():
        user = db.session.scalar(select(StaffUser).where(StaffUser.email == "porte@mines-ales.fr"))
        assert user.role is Role.CHECKIN and user.password_hash != "assez-long-pour-la-porte"


def add_session(app, session_id, hours_later, cancelled=False) -> int:
    """Another session of the same event as ``session_id``, ``hours_later``."""
    with app.app_context():
        source = db.session.get(EventSession, session_id)
        other = EventSession(
            event_id=source.event_id,
            starts_at=source.starts_at + timedelta(hours=hours_later),
            ends_at=source.ends_at + timedelta(hours=hours_later),
            capacity=4,
            cancelled_at=utcnow() if cancelled else None,
        )
        db.session.add(other)
        db.session.commit()
        return other.id


def test_a_booking_moves_only_to_the_other_live_sessions_of_its_event(app, organiser, make_session):
    """The session page's « Déplacer » and the move page offer the same sessions."""
    first = make_session(capacity=5)
    live = add_session(app, first, 2)
    cancelled = add_session(app, first, 4, cancelled=True)
    alone = make_session(capacity=5, title="Seule")
    book(app, first, 2)
    booking = book(app, alone, 1, "Solo")
    with app.app_context():
        from app.services import organiser as organiser_service

        targets = organiser_service.move_targets(db.session.get(EventSession, first))
        assert [s.id for s in targets] == [live]
        assert organiser_service.move_targets(db.session.get(EventSession, alone)) == []
    assert "/move" in session_page(organiser, first)
    assert "/move" not in session_page(organiser, alone)
    moving = book(app, first, 1, "Mover")
    page = organiser.get(f"/admin/bookings/{moving}/move").get_data(as_text=True)
    assert f'value="{live}"' in page
    assert f'value="{cancelled}"' not in page and f'value="{first}"' not in page
    empty = organiser.get(f"/admin/bookings/{booking}/move").get_data(as_text=True)
    assert "Aucune autre séance de cet événement." in empty


def test_a_message_reaches_an_events_live_sessions_or_the_one_session_chosen(
    app, organiser, make_session
):
    """An event's cancelled sessions are left out; a session chosen by itself is kept."""
    from app.services import attendees

    first = make_session(capacity=2)
    live = add_session(app, first, 2)
    cancelled = add_session(app, first, 4, cancelled=True)
    book(app, first, 2, "Ada")
    book(app, first, 1, "Waiting", waiting=True)
    book(app, live, 1, "Bob")
    with app.app_context():
        event_id = db.session.get(EventSession, first).event_id
        scope = attendees.message_scope(None, event_id)
        assert [s.id for s in scope] == [first, live]
        assert [s.id for s in attendees.message_scope(cancelled, event_id)] == [cancelled]
        assert attendees.message_scope(None, None) == []
        assert attendees.message_scope(None, event_id + 1000) == []
        names = {
            audience: sorted(b.name for b in attendees.recipients([first, live], audience))
            for audience in ("attendees", "waitlist", "both")
        }
    assert names == {
        "attendees": ["Ada", "Bob"],
        "waitlist": ["Waiting"],
        "both": ["Ada", "Bob", "Waiting"],
    }
    page = organiser.get(f"/admin/messages?event={event_id}").get_data(as_text=True)
    assert "Séances concernées" in page
    unknown = organiser.post(
        "/admin/messages",
        data={
            "csrf_token": form_fields(page, "/admin/messages")["csrf_token"],
            "event": str(event_id + 1000),
            "audience": "both",
            "subject_fr": "Objet",
            "body_fr": "Texte",
        },
    )
    assert unknown.status_code == 422
    assert "Choisissez une séance ou un événement." in unknown.get_data(as_text=True)


def test_a_new_specimen_is_shown_by_the_guided_exhibition_by_default(app, organiser, make_session):
    """The form preselects the exhibition (a visit), not the first event by title."""
    from app.models import EventKind

    make_session(kind=EventKind.FILM, title="A film first by title")
    visit = make_session(title="Exposition commentée")
    with app.app_context():
        event_id = db.session.get(EventSession, visit).event_id
    page = organiser.get("/admin/specimens/new").get_data(as_text=True)
    assert re.search(
        rf'<option[^>]*selected[^>]*value="{event_id}"|<option[^>]*value="{event_id}"[^>]*selected',
        page,
    )
