"""Visitors change their plans themselves: another session, a bigger or smaller party.

Through the booking page's plain forms (no JavaScript), on both databases: a move takes
the new seats before it frees the old ones and keeps the link and the ticket; what a rule
refuses is said next to its field, with a 4xx, and nothing is stored; when only room is
missing, the page offers to wait for it without losing the seats held.
"""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
import requests
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    AuditEntry,
    Booking,
    BookingStatus,
    Event,
    EventKind,
    EventSession,
    OutboxMessage,
    Venue,
)
from app.services import booking as booking_service
from app.services import organiser, plan_changes, stats, waitlist
from app.services.booking_errors import CannotGrow
from app.services.ledger import check_ledger
from app.timeutil import utcnow

from .helpers import form_fields

NNBSP = "\u202f"


def programme(app, *capacities: int, first_in: timedelta = timedelta(days=3)) -> list[int]:
    """One event, one session per capacity, an hour apart; their ids."""
    with app.app_context():
        venue = Venue(name="Le Hub", city="30100 Alès", step_free=True)
        event = Event(
            slug=f"plans-{uuid.uuid4().hex[:8]}",
            kind=EventKind.VISIT,
            title="Exposition commentée",
            venue=venue,
        )
        start = (utcnow() + first_in).replace(second=0, microsecond=0)
        sessions = [
            EventSession(
                event=event,
                starts_at=start + timedelta(hours=index),
                ends_at=start + timedelta(hours=index, minutes=50),
                capacity=capacity,
            )
            for index, capacity in enumerate(capacities)
        ]
        db.session.add_all([venue, event, *sessions])
        db.session.commit()
        return [s.id for s in sessions]


def book(app, session_id: int, seats: int, who: str = "Ada") -> str:
    """A confirmed booking; its token."""
    with app.app_context():
        booking = booking_service.book(
            booking_service.BookingRequest(session_id, who, f"{who.lower()}@example.fr", seats)
        )
        db.session.commit()
        return booking.token


def join(app, session_id: int, seats: int, who: str) -> str:
    """A party on the waiting list; its token."""
    with app.app_context():
        booking = booking_service.join_waitlist(
            booking_service.BookingRequest(session_id, who, f"{who.lower()}@example.fr", seats)
        )
        db.session.commit()
        return booking.token


def booking_of(app, token: str) -> Booking:
    """The booking as stored (detached, every column loaded)."""
    with app.app_context():
        booking = db.session.scalar(select(Booking).where(Booking.token == token))
        db.session.expunge(booking)
        return booking


def taken(app, *session_ids: int) -> list[tuple[int, int]]:
    """(seats_taken, seats_waiting) of each session."""
    with app.app_context():
        rows = [db.session.get(EventSession, s) for s in session_ids]
        return [(s.seats_taken, s.seats_waiting) for s in rows]


def audited(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def outbox(app, token: str) -> list[str]:
    """Kinds of the mail queued for the booking, in order."""
    with app.app_context():
        booking_id = db.session.scalar(select(Booking.id).where(Booking.token == token))
        return list(
            db.session.scalars(
                select(OutboxMessage.kind)
                .where(OutboxMessage.booking_id == booking_id)
                .order_by(OutboxMessage.id)
            )
        )


def post_form(client, token: str, action: str, **fields: str):
    """Send one of the booking page's forms as a browser without JavaScript does."""
    page = client.get(f"/b/{token}").get_data(as_text=True)
    data = {**form_fields(page, f"/b/{token}/{action}"), **fields}
    return client.post(f"/b/{token}/{action}", data=data)


def text(response) -> str:
    return response.get_data(as_text=True)


def wait_offer_fields(page: str) -> dict[str, str]:
    """The fields of the form that offers to wait, as the refused page holds them."""
    start = page.rindex("<form", 0, page.index("wait-offer"))
    return form_fields(page[start:])


# --------------------------------------------------------------------------------- moving


def test_a_visitor_moves_to_another_session_with_room(app, client):
    first, second, third = programme(app, 4, 4, 4)
    token = book(app, first, 3)
    before = booking_of(app, token)
    page = text(client.get(f"/b/{token}"))
    assert "Changer de séance" in page
    assert f'name="session_id" value="{second}"' in page
    assert f'name="session_id" value="{third}"' in page
    assert f'value="{first}"' not in page  # not the session it is in

    response = post_form(client, token, "move", session_id=str(second))

    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/b/{token}")
    moved = booking_of(app, token)
    assert moved.session_id == second and moved.status is BookingStatus.CONFIRMED
    assert (moved.token, moved.ticket_code, moved.seats) == (token, before.ticket_code, 3)
    assert moved.reminder_sent_at is None
    assert taken(app, first, second) == [(0, 0), (3, 0)]
    assert outbox(app, token) == ["confirmed", "confirmed"]  # the new one, with the new .ics
    [entry] = audited(app, "booking.moved")
    assert entry.data == {"seats": 3, "source": first, "target": second}
    assert "C’est fait" in text(client.get(f"/b/{token}"))
    with app.app_context():
        assert check_ledger() == []


def test_the_seats_a_move_frees_go_to_the_old_sessions_waiting_list_at_once(app, client):
    first, second = programme(app, 2, 4)
    token = book(app, first, 2)
    waiting = join(app, first, 2, "Lise")

    assert post_form(client, token, "move", session_id=str(second)).status_code == 303

    assert booking_of(app, waiting).status is BookingStatus.OFFERED
    assert taken(app, first, second) == [(2, 0), (2, 0)]


def test_a_move_to_a_full_session_is_refused_with_the_offer_to_wait(app, client):
    first, second = programme(app, 4, 2)
    token = book(app, first, 2)
    book(app, second, 1, "Bob")  # one seat left there, for a party of two

    response = post_form(client, token, "move", session_id=str(second))

    assert response.status_code == 409
    page = text(response)
    assert "Il ne reste qu’une place à cette séance, pour un groupe de 2." in page
    assert 'id="move-error"' in page  # next to the field
    assert "Attendre une place à cette séance" in page
    offer = form_fields(page, f"/b/{token}/move")
    assert booking_of(app, token).session_id == first
    assert taken(app, first, second) == [(2, 0), (1, 0)]
    assert audited(app, "booking.moved") == []
    assert "wait" not in offer or offer["wait"] != "1"  # the first form is the move itself


def test_the_public_moves_behind_the_targets_waiting_list_organisers_do_not(app, client):
    first, second = programme(app, 4, 3)
    book(app, second, 3, "Bob")
    join(app, second, 2, "Lise")
    with app.app_context():  # a seat frees up; the party of two waits on
        bob = db.session.scalar(select(Booking.token).where(Booking.name == "Bob"))
        booking_service.reduce(bob, 2)
        db.session.commit()
    token = book(app, first, 1)

    refused = post_form(client, token, "move", session_id=str(second))
    assert refused.status_code == 409
    assert "Cette séance est complète." in text(refused)

    with app.app_context():
        booking_id = db.session.scalar(select(Booking.id).where(Booking.token == token))
        organiser.move_booking(booking_id, second, actor="organiser@mines-ales.fr")
        db.session.commit()
    assert booking_of(app, token).session_id == second


def set_checked_in(app, token: str, seats: int) -> None:
    """What the door's check-in leaves on the booking (its own tests are in test_checkin)."""
    with app.app_context():
        db.session.scalar(select(Booking).where(Booking.token == token)).checked_in_seats = seats
        db.session.commit()


def test_a_checked_in_booking_or_a_started_session_cannot_move(app, client):
    first, second = programme(app, 4, 4)
    token = book(app, first, 2)
    page = text(client.get(f"/b/{token}"))
    set_checked_in(app, token, 1)
    data = {**form_fields(page, "/move"), "session_id": str(second)}
    inside = client.post(f"/b/{token}/move", data=data)
    assert inside.status_code == 409
    assert "déjà entrées" in text(inside)
    assert "Changer de séance" not in text(client.get(f"/b/{token}"))
    set_checked_in(app, token, 0)

    later = utcnow() + timedelta(days=3, hours=1)
    with app.app_context():
        booking = db.session.scalar(select(Booking).where(Booking.token == token))
        with pytest.raises(plan_changes.MoveClosed) as started:
            plan_changes.move(booking, second, actor="public", now=later)
        assert started.value.message() == (
            f"La séance a commencé{NNBSP}: la réservation ne peut plus être déplacée."
        )
        with pytest.raises(plan_changes.MoveClosed) as past:
            plan_changes.move(
                booking,
                second,
                actor="organiser",
                now=later + timedelta(hours=2),
                by_organiser=True,
            )
        assert "a déjà eu lieu" in past.value.message()
    assert booking_of(app, token).session_id == first
    assert taken(app, first, second) == [(2, 0), (0, 0)]


def test_booking_close_applies_to_both_sessions(app, client):
    """Within the hour before the start, online booking is closed: no move in or out."""
    soon, later, closed_too = programme(app, 4, 4, 4, first_in=timedelta(minutes=30))
    token = book(app, later, 1)  # the second session starts in 90 minutes: still open
    page = text(client.get(f"/b/{token}"))
    assert f'value="{soon}" disabled' in page  # shown, live, but closed for booking
    response = post_form(client, token, "move", session_id=str(soon))
    assert response.status_code == 409
    assert "Les réservations en ligne sont closes pour cette séance." in text(response)
    assert booking_of(app, token).session_id == later

    with app.app_context():
        booking = db.session.scalar(select(Booking).where(Booking.token == token))
        with pytest.raises(plan_changes.MoveClosed):
            plan_changes.move(
                booking, closed_too, actor="public", now=utcnow() + timedelta(minutes=40)
            )
        db.session.rollback()


def test_a_move_refuses_another_event_and_bad_input_with_nothing_stored(app, client):
    first, second = programme(app, 4, 4)
    (elsewhere,) = programme(app, 4)
    token = book(app, first, 1)
    other_event = post_form(client, token, "move", session_id=str(elsewhere))
    assert other_event.status_code == 409
    assert "vers une autre séance du même événement" in text(other_event)
    garbage = post_form(client, token, "move", session_id="deux")
    assert garbage.status_code == 422
    assert "Choisissez une séance dans la liste." in text(garbage)
    missing = post_form(client, token, "move", session_id="")
    assert missing.status_code == 422
    assert "Choisissez une séance." in text(missing)
    assert booking_of(app, token).session_id == first
    assert taken(app, first, second, elsewhere) == [(1, 0), (0, 0), (0, 0)]


@pytest.mark.app_config(BOOKING_MAX_SEATS_PER_EMAIL=4)
def test_a_move_keeps_the_cap_per_address(app, client):
    first, second = programme(app, 6, 6)
    book(app, second, 2, "Ada")
    token = book(app, first, 3, "Ada")
    response = post_form(client, token, "move", session_id=str(second))
    assert response.status_code == 409
    assert "ne peut pas réserver plus de 4 places" in text(response)
    assert booking_of(app, token).session_id == first


def test_the_english_page_says_it_in_english(app, client):
    first, second = programme(app, 4, 2)
    token = book(app, first, 2)
    book(app, second, 1, "Bob")
    client.get("/language/en")
    response = post_form(client, token, "move", session_id=str(second))
    assert response.status_code == 409
    assert "There is only one seat left" in text(response)


# ------------------------------------------------------------------------------ the race


def at_once(forms: list[tuple[requests.Session, str, dict[str, str]]]) -> list[int | None]:
    """POST every (client, url, form) at the same instant; the answers' statuses in order."""
    barrier = threading.Barrier(len(forms))
    statuses: list[int | None] = [None] * len(forms)

    def send(index: int) -> None:
        http, url, data = forms[index]
        barrier.wait(timeout=30)
        statuses[index] = http.post(url, data=data, allow_redirects=False, timeout=60).status_code

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(forms))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    return statuses


def test_a_move_racing_a_booking_for_the_last_seats_never_both_never_neither(app, live_server):
    """A party moving into the last two seats while someone books them: exactly one wins.

    The mover ends with seats in exactly one of the two sessions, whatever the order.
    """
    rounds = 4
    for round_ in range(rounds):
        first, second = programme(app, 4, 3)
        book(app, second, 1, f"Early{round_}")
        token = book(app, first, 2, f"Mover{round_}")
        mover, booker = requests.Session(), requests.Session()
        move_fields = form_fields(mover.get(f"{live_server}/b/{token}").text, "/move")
        book_fields = form_fields(booker.get(f"{live_server}/sessions/{second}").text)
        forms = [
            (mover, f"{live_server}/b/{token}/move", {**move_fields, "session_id": str(second)}),
            (
                booker,
                f"{live_server}/sessions/{second}",
                {
                    **book_fields,
                    "name": "Rival",
                    "email": f"rival{round_}@example.fr",
                    "seats": "2",
                },
            ),
        ]
        statuses = at_once(forms)

        assert sorted(statuses) == [303, 409], statuses
        moved = booking_of(app, token)
        assert moved.status is BookingStatus.CONFIRMED
        if statuses[0] == 303:
            assert moved.session_id == second
            assert taken(app, first, second) == [(0, 0), (3, 0)]
        else:
            assert moved.session_id == first
            assert taken(app, first, second) == [(2, 0), (3, 0)]
        with app.app_context():
            assert check_ledger() == []


# ------------------------------------------------------------------------- party size


def test_a_party_grows_at_once_when_seats_are_free(app, client):
    (session_id,) = programme(app, 6)
    token = book(app, session_id, 2)
    response = post_form(client, token, "seats", seats="4")
    assert response.status_code == 303
    assert booking_of(app, token).seats == 4
    assert taken(app, session_id) == [(4, 0)]
    [entry] = audited(app, "booking.grown")
    assert entry.data == {"seats": 4, "added": 2}
    assert "compte maintenant 4 places" in text(client.get(f"/b/{token}"))


def test_a_party_shrinks_through_the_same_field(app, client):
    (session_id,) = programme(app, 6)
    token = book(app, session_id, 4)
    waiting = join(app, session_id, 3, "Lise")
    assert post_form(client, token, "seats", seats="1").status_code == 303
    assert booking_of(app, token).seats == 1
    assert booking_of(app, waiting).status is BookingStatus.OFFERED  # the freed seats moved on


def test_growing_beyond_the_seats_left_says_how_many_and_offers_to_wait(app, client):
    (session_id,) = programme(app, 5)
    token = book(app, session_id, 2)
    book(app, session_id, 1, "Bob")
    response = post_form(client, token, "seats", seats="5")
    assert response.status_code == 409
    page = text(response)
    assert (
        f"Il ne reste que 2 places libres{NNBSP}: votre groupe peut passer à 4 places au plus."
        in page
    )
    assert 'id="seats-error"' in page
    assert "Attendre les places en plus" in page
    assert booking_of(app, token).seats == 2
    assert taken(app, session_id) == [(3, 0)]
    assert audited(app, "booking.grown") == []


def test_growing_keeps_the_limits_per_booking_and_per_address(app, client):
    (session_id,) = programme(app, 20)
    token = book(app, session_id, 2)
    too_big = post_form(client, token, "seats", seats="7")
    assert too_big.status_code == 422
    assert "Choisissez entre 1 et 6 places par réservation." in text(too_big)
    same = post_form(client, token, "seats", seats="2")
    assert same.status_code == 422
    assert "Votre réservation compte déjà 2 places." in text(same)
    app.config["BOOKING_MAX_SEATS_PER_EMAIL"] = 4
    book(app, session_id, 1, "Ada")  # the same address holds 3 seats now
    capped = post_form(client, token, "seats", seats="4")
    assert capped.status_code == 409
    assert "ne peut pas réserver plus de 4 places" in text(capped)
    assert booking_of(app, token).seats == 2


def test_a_party_with_people_inside_does_not_grow(app, client):
    # Once some are in, latecomers go through the door (walk-ins, its queue): a wait for
    # extra seats could never be offered to a party already inside.
    from app.services import checkin

    (session_id,) = programme(app, 6)
    token = book(app, session_id, 2)
    with app.app_context():
        checkin.check_in(session_id, actor="door", booking_id=booking_of(app, token).id, seats=1)
        db.session.commit()
    response = post_form(client, token, "seats", seats="3")
    assert response.status_code == 409
    assert (
        f"Des personnes de ce groupe sont déjà entrées{NNBSP}: "
        "pour des places en plus, adressez-vous à l’accueil."
    ) in text(response)
    with app.app_context(), pytest.raises(CannotGrow):
        plan_changes.wait_for_seats(token, 5)
    assert booking_of(app, token).seats == 2
    assert taken(app, session_id) == [(2, 0)]
    with app.app_context():
        waiting = db.session.scalar(
            select(func.count()).select_from(Booking).where(Booking.changes_booking_id.is_not(None))
        )
    assert waiting == 0


def test_a_waiting_party_only_shrinks(app, client):
    (session_id,) = programme(app, 2)
    book(app, session_id, 2, "Bob")
    waiting = join(app, session_id, 2, "Lise")
    response = post_form(client, waiting, "seats", seats="3")
    assert response.status_code == 422
    assert booking_of(app, waiting).seats == 2


# ----------------------------------------------------------------- waiting for a change


def test_waiting_for_a_full_session_keeps_the_seats_until_an_offer_is_accepted(app, client):
    first, second = programme(app, 4, 2)
    token = book(app, first, 2)
    bob = book(app, second, 2, "Bob")
    refused = post_form(client, token, "move", session_id=str(second))
    offer = form_fields(text(refused), f"/b/{token}/move")
    page = text(refused)
    data = wait_offer_fields(page)
    assert (data["session_id"], data["wait"]) == (str(second), "1")
    assert client.post(f"/b/{token}/move", data=data).status_code == 303
    assert offer  # the move form was there too
    lead = booking_of(app, token)
    assert (lead.session_id, lead.status) == (first, BookingStatus.CONFIRMED)
    assert taken(app, first, second) == [(2, 0), (2, 2)]

    with app.app_context():
        booking_service.cancel(bob)
        db.session.commit()
        row = db.session.scalar(select(Booking).where(Booking.changes_booking_id == lead.id))
        assert row.status is BookingStatus.OFFERED
        row_token = row.token
    assert booking_of(app, token).session_id == first  # nothing swaps before acceptance
    with app.app_context():
        waitlist.accept(row_token)
        db.session.commit()
    moved = booking_of(app, token)
    assert (moved.session_id, moved.status, moved.seats) == (second, BookingStatus.CONFIRMED, 2)
    assert taken(app, first, second) == [(0, 0), (2, 0)]
    with app.app_context():
        assert check_ledger() == []


def test_waiting_for_extra_seats_keeps_the_party_until_they_come(app, client):
    (session_id,) = programme(app, 4)
    token = book(app, session_id, 2)
    bob = book(app, session_id, 2, "Bob")
    page = text(post_form(client, token, "seats", seats="3"))
    data = wait_offer_fields(page)
    assert (data["seats"], data["wait"]) == ("3", "1")
    assert client.post(f"/b/{token}/seats", data=data).status_code == 303
    assert booking_of(app, token).seats == 2
    assert taken(app, session_id) == [(4, 1)]
    with app.app_context():
        booking_service.cancel(bob)
        db.session.commit()
        lead_id = db.session.scalar(select(Booking.id).where(Booking.token == token))
        row = db.session.scalar(select(Booking).where(Booking.changes_booking_id == lead_id))
        waitlist.accept(row.token)
        db.session.commit()
    assert booking_of(app, token).seats == 3
    assert taken(app, session_id) == [(3, 0)]


def test_a_party_made_smaller_is_told_its_wait_for_extra_seats_ended(app, client):
    (session_id,) = programme(app, 4)
    token = book(app, session_id, 3)
    book(app, session_id, 1, "Bob")
    page = text(post_form(client, token, "seats", seats="4"))
    assert client.post(f"/b/{token}/seats", data=wait_offer_fields(page)).status_code == 303
    assert "1 place de plus" in text(client.get(f"/b/{token}"))

    assert post_form(client, token, "seats", seats="2").status_code == 303

    page = text(client.get(f"/b/{token}"))
    assert f"compte maintenant 2 places. Votre attente de places en plus prend fin{NNBSP}:" in page
    assert "place de plus" not in page
    assert taken(app, session_id) == [(3, 0)]
    client.get("/language/en")
    page = text(post_form(client, token, "seats", seats="4"))
    assert client.post(f"/b/{token}/seats", data=wait_offer_fields(page)).status_code == 303
    assert post_form(client, token, "seats", seats="1").status_code == 303
    assert (
        "Your wait for extra seats has ended: ask for them again if more of you are coming."
        in text(client.get(f"/b/{token}"))
    )


def test_a_move_ends_the_wishes_made_from_the_old_session(app, client):
    first, second, third = programme(app, 4, 2, 4)
    token = book(app, first, 2)
    book(app, second, 2, "Bob")
    refused = text(post_form(client, token, "move", session_id=str(second)))
    assert client.post(f"/b/{token}/move", data=wait_offer_fields(refused)).status_code == 303
    assert "pour y déplacer votre réservation" in text(client.get(f"/b/{token}"))
    again = client.post(f"/b/{token}/move", data=wait_offer_fields(refused))
    assert again.status_code == 303  # the same wish twice is one wish
    assert taken(app, second) == [(2, 2)]

    assert post_form(client, token, "move", session_id=str(third)).status_code == 303

    assert taken(app, first, second, third) == [(0, 0), (2, 0), (2, 0)]
    with app.app_context():
        lead_id = db.session.scalar(select(Booking.id).where(Booking.token == token))
        rows = db.session.scalars(select(Booking).where(Booking.changes_booking_id == lead_id))
        assert [(r.status, r.ended_reason) for r in rows] == [
            (BookingStatus.CANCELLED, "lead_ended")
        ]


# -------------------------------------------------------------------- « Je ne peux pas venir »


def test_the_reminders_cant_come_link_frees_the_seats_for_the_waiting_list(app, client):
    from app.services.mail.render import render_message

    (session_id,) = programme(app, 2)
    token = book(app, session_id, 2)
    waiting = join(app, session_id, 2, "Lise")
    with app.app_context(), app.test_request_context():
        booking = db.session.scalar(select(Booking).where(Booking.token == token))
        reminder = render_message("reminder", booking)
    link = f"http://localhost/b/{token}/cant-come"
    assert link in reminder["body_text"] and f'href="{link}"' in reminder["body_html"]
    assert "vos places iront aussitôt à une personne en liste d’attente" in reminder["body_text"]

    page = client.get(f"/b/{token}/cant-come")
    assert page.status_code == 200
    assert "vos 2 places iront aussitôt à des personnes de la liste d’attente" in text(page)
    assert booking_of(app, token).status is BookingStatus.CONFIRMED  # a GET changes nothing

    response = client.post(f"/b/{token}/cant-come", data=form_fields(text(page), "/cant-come"))
    assert response.status_code == 303
    assert booking_of(app, token).status is BookingStatus.CANCELLED
    assert booking_of(app, waiting).status is BookingStatus.OFFERED
    assert "vos places vont à d’autres visiteurs" in text(client.get(f"/b/{token}"))


def test_cant_come_after_the_start_is_refused_with_the_reason(app, client):
    (session_id,) = programme(app, 2, first_in=timedelta(days=1))
    token = book(app, session_id, 1)
    page = text(client.get(f"/b/{token}/cant-come"))
    with app.app_context():
        session = db.session.get(EventSession, session_id)
        session.starts_at = utcnow() - timedelta(minutes=5)
        db.session.commit()
    response = client.post(f"/b/{token}/cant-come", data=form_fields(page, "/cant-come"))
    assert response.status_code == 409
    assert "La séance a commencé" in text(response)
    assert booking_of(app, token).status is BookingStatus.CONFIRMED


# ------------------------------------------------------------------- full session: elsewhere


def test_a_full_sessions_page_points_to_the_sessions_with_seats_same_day_first(app, client):
    full, later_that_day, empty_too = programme(app, 2, 3, 3)
    with app.app_context():  # one more, earlier, but another day
        event_id = db.session.get(EventSession, full).event_id
        starts = db.session.get(EventSession, full).starts_at - timedelta(days=1)
        other_day = EventSession(
            event_id=event_id, starts_at=starts, ends_at=starts + timedelta(hours=1), capacity=3
        )
        db.session.add(other_day)
        db.session.commit()
        other_day_id = other_day.id
    book(app, full, 2)
    book(app, empty_too, 3, "Bob")  # full as well: not a place to go
    page = text(client.get(f"/sessions/{full}"))
    block = page[page.index("Il reste des places à ces horaires") :]
    block = block[: block.index("</section>")]
    links = [f"/sessions/{later_that_day}", f"/sessions/{other_day_id}"]
    assert all(link in block for link in links)
    assert block.index(links[0]) < block.index(links[1])  # the same day first
    assert f"/sessions/{empty_too}" not in block
    assert "Il reste des places à ces horaires" not in text(
        client.get(f"/sessions/{later_that_day}")
    )


# -------------------------------------------------------------------------- statistics


def test_moves_count_per_session_in_the_statistics(app, client, organiser):
    first, second = programme(app, 4, 4)
    token = book(app, first, 2)
    assert post_form(client, token, "move", session_id=str(second)).status_code == 303
    with app.app_context():
        figures = {s.session_id: (s.moved_in, s.moved_out) for s in stats.session_stats()}
    assert figures[first] == (0, 1) and figures[second] == (1, 0)
    page = organiser.get("/admin/statistics").get_data(as_text=True)
    assert "Déplacements" in page


def test_the_audit_names_every_move_and_resize(app, client):
    first, second = programme(app, 6, 6)
    token = book(app, first, 2)
    post_form(client, token, "seats", seats="3")
    post_form(client, token, "seats", seats="1")
    post_form(client, token, "move", session_id=str(second))
    with app.app_context():
        actions = list(
            db.session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.booking_id.is_not(None))
                .order_by(AuditEntry.id)
            )
        )
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)) >= 4
    assert actions == ["booking.confirmed", "booking.grown", "booking.reduced", "booking.moved"]
