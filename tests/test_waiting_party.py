"""One party, several rows: waiting on several sessions, waiting to move, waiting to grow."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.database import writing
from app.extensions import db
from app.models import AuditEntry, Booking, BookingStatus, Event, EventSession, OutboxMessage
from app.services import booking as booking_service
from app.services import checkin, mail, organiser, plan_changes, privacy, waiting_party, waitlist
from app.services.booking_errors import NoOfferPending, PartyHoldsOffer
from app.services.errors import DomainError
from app.services.ledger import check_ledger
from app.timeutil import utcnow

from .helpers import form_fields
from .test_waitlist import cancel, confirm


@pytest.fixture
def event_sessions(app, make_session):
    """``factory(*capacities)``: sessions of one event, a day apart, in that order."""

    def factory(*capacities: int) -> list[int]:
        first = make_session(capacity=capacities[0])
        with app.app_context():
            source = db.session.get(EventSession, first)
            ids = [first]
            for offset, capacity in enumerate(capacities[1:], start=1):
                other = EventSession(
                    event_id=source.event_id,
                    starts_at=source.starts_at + timedelta(days=offset),
                    ends_at=source.ends_at + timedelta(days=offset),
                    capacity=capacity,
                )
                db.session.add(other)
                db.session.flush()
                ids.append(other.id)
            db.session.commit()
            return ids

    return factory


def join_several(app, session_id: int, also: list[int], seats: int, who: str) -> str:
    """Join a waiting list and also wait on ``also``; return the lead's token."""
    with app.app_context():
        booking = booking_service.join_waitlist(
            booking_service.BookingRequest(
                session_id, who, f"{who}@example.fr", seats, also=tuple(also)
            )
        )
        db.session.commit()
        return booking.token


def rows(app, token: str) -> dict[int, tuple[BookingStatus, int]]:
    """The party's live rows: session id -> (status, seats), lead included."""
    with app.app_context():
        lead = booking_service.get_by_token(token)
        found = {lead.session_id: (lead.status, lead.seats)} if lead.is_active else {}
        for row in waiting_party.party_rows(lead):
            found[row.session_id] = (row.status, row.seats)
        return found


def waiting_counts(app, *session_ids: int) -> list[int]:
    """``seats_waiting`` of each session, the ledger checked on the way."""
    with app.app_context():
        assert check_ledger() == []
        return [db.session.get(EventSession, s).seats_waiting for s in session_ids]


def test_a_party_waits_on_three_sessions_and_offers_from_two_at_once_give_it_one(
    app, client, event_sessions
):
    a, b, c = event_sessions(2, 2, 2)
    holders = {s: confirm(app, s, 2, f"h{s}") for s in (a, b, c)}
    party = join_several(app, a, [b, c], 2, "lise")
    behind = {s: join_several(app, s, [], 2, f"n{s}") for s in (b, c)}
    assert waiting_counts(app, a, b, c) == [2, 4, 4]
    assert rows(app, party) == {s: (BookingStatus.WAITING, 2) for s in (a, b, c)}
    assert [client.get(f"/api/sessions/{s}").get_json()["waitlist"] for s in (a, b, c)] == [
        2,
        4,
        4,
    ]

    cancel(app, holders[b])
    cancel(app, holders[c])

    # It holds b's offer; c's seats went on to the next party, and nobody passed it over.
    assert rows(app, party)[b][0] is BookingStatus.OFFERED
    assert rows(app, party)[c][0] is BookingStatus.WAITING
    assert rows(app, behind[c])[c][0] is BookingStatus.OFFERED
    with app.app_context():
        lead = booking_service.get_by_token(party)
        assert all(r.passed_over == 0 for r in waiting_party.party_rows(lead))
        offers = db.session.scalars(
            select(OutboxMessage.booking_id).where(OutboxMessage.kind == "offer")
        ).all()
        mine = {r.id for r in waiting_party.all_change_rows(lead)} | {lead.id}
        assert len(mine & set(offers)) == 1

    # Accepting withdraws the party from the other lists at once.
    with app.app_context():
        waitlist.accept(party)
        db.session.commit()
    assert rows(app, party) == {b: (BookingStatus.CONFIRMED, 2)}
    assert waiting_counts(app, a, b, c) == [0, 2, 0]
    assert [client.get(f"/api/sessions/{s}").get_json()["waitlist"] for s in (a, b, c)] == [
        0,
        2,
        0,
    ]
    with app.app_context():
        actions = set(db.session.scalars(select(AuditEntry.action)))
        assert {"waitlist.joined_for_change", "waitlist.merged", "waitlist.withdrawn"} <= actions


def test_a_party_is_not_passed_over_for_an_offer_it_holds_elsewhere(app, event_sessions):
    app.config["WAITLIST_MAX_PASSES"] = 1
    a, b = event_sessions(3, 3)
    holders_a = confirm(app, a, 3, "ha")
    hb = [confirm(app, b, 1, f"hb{i}") for i in range(3)]
    party = join_several(app, b, [a], 3, "big")  # waits on b (lead) and a
    small = join_several(app, b, [], 1, "small")
    cancel(app, holders_a)  # a's 3 seats: offered to the party's row on a
    assert rows(app, party)[a][0] is BookingStatus.OFFERED
    cancel(app, hb[0])  # one seat on b: the party holds an offer, small gets it
    assert rows(app, small)[b][0] is BookingStatus.OFFERED
    with app.app_context():
        assert booking_service.get_by_token(party).passed_over == 0
    # The party declines a: it is back in b's list, first, and not passed over.
    with app.app_context():
        booking_service.decline_offer(party)
        db.session.commit()
    assert rows(app, party) == {b: (BookingStatus.WAITING, 3)}
    cancel(app, hb[1])
    cancel(app, hb[2])
    assert rows(app, party) == {b: (BookingStatus.WAITING, 3)}  # 2 free, small holds 1
    cancel(app, small)  # small declines: the 3 seats are the party's
    assert rows(app, party) == {b: (BookingStatus.OFFERED, 3)}


def test_declining_the_lead_offer_keeps_the_party_waiting_elsewhere(app, event_sessions):
    a, b = event_sessions(1, 1)
    ha = confirm(app, a, 1, "ha")
    confirm(app, b, 1, "hb")
    party = join_several(app, a, [b], 1, "lise")
    cancel(app, ha)
    assert rows(app, party)[a][0] is BookingStatus.OFFERED
    with app.app_context():
        lead = booking_service.decline_offer(party)
        db.session.commit()
        assert lead.token == party
    assert rows(app, party) == {b: (BookingStatus.WAITING, 1)}
    assert waiting_counts(app, a, b) == [0, 1]
    with app.app_context():
        kinds = db.session.scalars(
            select(OutboxMessage.kind).where(OutboxMessage.kind == "cancelled")
        ).all()
        assert kinds == ["cancelled"]  # ha's own cancellation only


def test_a_lapsed_offer_on_a_change_row_passes_on_and_the_party_keeps_waiting(app, event_sessions):
    a, b = event_sessions(1, 1)
    confirm(app, a, 1, "ha")
    hb = confirm(app, b, 1, "hb")
    party = join_several(app, a, [b], 1, "lise")
    nxt = join_several(app, b, [], 1, "next")
    cancel(app, hb)
    with app.app_context():
        row = waiting_party.party_rows(booking_service.get_by_token(party))[0]
        row.offer_expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
        assert waitlist.expire_due() == 1
        db.session.commit()
    assert rows(app, party) == {a: (BookingStatus.WAITING, 1)}
    assert rows(app, nxt)[b][0] is BookingStatus.OFFERED
    with app.app_context():
        message = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "offer_expired")
        ).one()
        assert message.recipient == "lise@example.fr"


def test_accepting_a_pinned_offer_that_is_gone_is_refused(app, event_sessions):
    a, b = event_sessions(1, 1)
    confirm(app, a, 1, "ha")
    hb = confirm(app, b, 1, "hb")
    party = join_several(app, a, [b], 1, "lise")
    cancel(app, hb)
    with app.app_context():
        lead = booking_service.get_by_token(party)
        with pytest.raises(NoOfferPending):
            waitlist.accept(party, offer_id=lead.id)
        db.session.rollback()


def _change_row(app, token: str, session_id: int, seats: int) -> int:
    """A confirmed booking's change row on ``session_id`` (what h16b's move/resize make)."""
    with app.app_context(), writing():
        lead = booking_service.get_by_token(token)
        sessions = waiting_party.lock_sessions({lead.session_id, session_id})
        row = waiting_party.join_for_change(
            lead, sessions[session_id], seats, actor="public", now=utcnow()
        )
        row_id = row.id
        db.session.commit()
        return row_id


def test_move_wait_an_accepted_offer_moves_the_booking_and_frees_the_old_seats(app, event_sessions):
    a, b = event_sessions(2, 2)
    mine = confirm(app, a, 2, "me")
    hb = confirm(app, b, 2, "hb")
    waiting_on_a = join_several(app, a, [], 2, "wa")
    with app.app_context():
        code = booking_service.get_by_token(mine).ticket_code
    _change_row(app, mine, b, 2)
    assert rows(app, mine) == {a: (BookingStatus.CONFIRMED, 2), b: (BookingStatus.WAITING, 2)}
    cancel(app, hb)
    assert rows(app, mine)[b][0] is BookingStatus.OFFERED
    with app.app_context():
        assert db.session.get(EventSession, b).seats_taken == 2
        waitlist.accept(mine)
        db.session.commit()
        moved = booking_service.get_by_token(mine)
        assert (moved.session_id, moved.ticket_code, moved.seats) == (b, code, 2)
        confirmations = db.session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.kind == "confirmed", OutboxMessage.booking_id == moved.id
            )
        ).all()
        assert len(confirmations) == 2  # the booking, then the move
    assert rows(app, mine) == {b: (BookingStatus.CONFIRMED, 2)}
    assert rows(app, waiting_on_a)[a][0] is BookingStatus.OFFERED  # a's list ran at once


def test_move_wait_a_declined_offer_keeps_the_old_seats(app, event_sessions):
    a, b = event_sessions(2, 2)
    mine = confirm(app, a, 2, "me")
    hb = confirm(app, b, 2, "hb")
    _change_row(app, mine, b, 2)
    cancel(app, hb)
    with app.app_context():
        booking_service.decline_offer(mine)
        db.session.commit()
    assert rows(app, mine) == {a: (BookingStatus.CONFIRMED, 2)}
    with app.app_context():
        assert check_ledger() == []
        assert db.session.get(EventSession, b).seats_taken == 0


def test_grow_wait_an_accepted_offer_adds_the_extra_seats(app, event_sessions):
    (a,) = event_sessions(4)
    mine = confirm(app, a, 2, "me")
    other = confirm(app, a, 2, "other")
    _change_row(app, mine, a, 2)
    assert waiting_counts(app, a) == [2]
    cancel(app, other)
    with app.app_context():
        waitlist.accept(mine)
        db.session.commit()
    assert rows(app, mine) == {a: (BookingStatus.CONFIRMED, 4)}
    with app.app_context():
        assert check_ledger() == []
        assert db.session.get(EventSession, a).seats_taken == 4


def test_a_cancelled_lead_ends_its_change_rows(app, event_sessions):
    a, b, c = event_sessions(1, 1, 1)
    for s in (a, b, c):
        confirm(app, s, 1, f"h{s}")
    party = join_several(app, a, [b, c], 1, "lise")
    cancel(app, party)
    assert rows(app, party) == {}
    assert waiting_counts(app, a, b, c) == [0, 0, 0]
    with app.app_context():
        lead = db.session.scalar(select(Booking).where(Booking.token == party))
        assert {r.ended_reason for r in waiting_party.all_change_rows(lead)} == {"lead_ended"}


def test_erasing_the_lead_ends_and_blanks_its_change_rows(app, event_sessions):
    a, b = event_sessions(2, 2)
    mine = confirm(app, a, 2, "me")
    confirm(app, b, 2, "hb")
    _change_row(app, mine, b, 2)
    with app.app_context():
        privacy.erase_booking(mine)
        db.session.commit()
        lead = db.session.scalar(select(Booking).where(Booking.token == mine))
        change = waiting_party.all_change_rows(lead)
        assert [(r.status, r.email, r.name) for r in change] == [(BookingStatus.CANCELLED, "", "")]
        assert check_ledger() == []


def test_the_waiting_form_refuses_a_session_of_another_event(
    app, client, event_sessions, make_session, book_form
):
    a, b = event_sessions(1, 1)
    foreign = make_session(capacity=5)
    confirm(app, a, 1, "ha")
    form = book_form(a)
    response = client.post(
        f"/sessions/{a}",
        data={
            **form,
            "name": "Lise",
            "email": "lise@example.fr",
            "seats": "1",
            "action": "waitlist",
            "also": [str(b), str(foreign)],
        },
    )
    assert response.status_code == 422
    assert "Choisissez d’autres séances du même événement" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Booking).where(Booking.name == "Lise")) is None
        assert db.session.scalar(select(Event.id).limit(1)) is not None


def test_two_sessions_freeing_seats_at_once_offer_to_the_party_once(app, event_sessions):
    rounds = 6
    for round_ in range(rounds):
        a, b = event_sessions(1, 1)
        holders = [confirm(app, s, 1, f"h{round_}{s}") for s in (a, b)]
        party = join_several(app, a, [b], 1, f"lise{round_}")
        barrier = threading.Barrier(2)
        failures: list[BaseException] = []

        def free(
            token: str,
            barrier: threading.Barrier = barrier,
            failures: list[BaseException] = failures,
        ) -> None:
            """Cancel a holder at the same instant as the other thread."""
            try:
                with app.app_context():
                    barrier.wait(timeout=30)
                    booking_service.cancel(token)
                    db.session.commit()
            except BaseException as error:  # reported below, in the test's thread
                failures.append(error)

        threads = [threading.Thread(target=free, args=(t,)) for t in holders]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert failures == []
        states = [status for status, _seats in rows(app, party).values()]
        assert sorted(states) == [BookingStatus.OFFERED, BookingStatus.WAITING]
        with app.app_context():
            assert check_ledger() == []


def test_the_booking_page_shows_one_position_per_session_and_answers_the_offer_there(
    app, client, event_sessions, book_form
):
    a, b, c = event_sessions(1, 1, 1)
    holders = {s: confirm(app, s, 1, f"h{s}") for s in (a, b, c)}
    join_several(app, c, [], 1, "first")  # ahead of the party on c
    form = book_form(a)
    page = client.get(f"/sessions/{a}").get_data(as_text=True)
    assert page.count('name="also"') == 2  # b and c, not a itself
    response = client.post(
        f"/sessions/{a}",
        data={
            **form,
            "name": "Lise",
            "email": "lise@example.fr",
            "seats": "1",
            "action": "waitlist",
            "also": [str(b), str(c)],
        },
    )
    assert response.status_code == 303
    token = response.headers["Location"].rsplit("/", 1)[-1]
    page = client.get(f"/b/{token}").get_data(as_text=True)
    assert page.count('class="position"') == 3
    assert "Vous êtes en tête de la liste d’attente." in page
    assert "Vous êtes 2e dans la liste d’attente." in page  # behind "first" on c

    cancel(app, holders[b])
    page = client.get(f"/b/{token}").get_data(as_text=True)
    assert page.count("position--offer") == 1
    with app.app_context():
        lead = booking_service.get_by_token(token)
        row = next(r for r in waiting_party.party_rows(lead) if r.session_id == b)
        message = db.session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.kind == "offer", OutboxMessage.booking_id == row.id
            )
        ).one()
        assert message.recipient == "lise@example.fr"
        rendered = mail.render_message("offer", row)
        assert f"/b/{token}/accept?offer={row.id}" in rendered["body_text"]
    accept_page = client.get(f"/b/{token}/accept?offer={row.id}").get_data(as_text=True)
    fields = form_fields(accept_page, "")
    assert fields["offer"] == str(row.id)
    response = client.post(f"/b/{token}/accept", data=fields)
    assert response.status_code == 303
    assert rows(app, token) == {b: (BookingStatus.CONFIRMED, 1)}
    assert waiting_counts(app, a, b, c) == [0, 0, 1]
    page = client.get(f"/b/{token}").get_data(as_text=True)
    assert 'class="position' not in page  # one booking, confirmed: no list any more


def test_an_offer_by_hand_to_a_party_holding_one_elsewhere_is_refused(app, event_sessions):
    a, b = event_sessions(1, 1)
    ha = confirm(app, a, 1, "ha")
    confirm(app, b, 1, "hb")
    party = join_several(app, a, [b], 1, "lise")
    cancel(app, ha)  # the lead's offer on a
    with app.app_context():
        lead = booking_service.get_by_token(party)
        row = waiting_party.party_rows(lead)[0]
        assert db.session.get(EventSession, b).seats_free == 0
        db.session.get(EventSession, b).capacity = 2  # a free seat, nobody offered it yet
        db.session.commit()
        with pytest.raises(PartyHoldsOffer):
            organiser.offer_by_hand(row.id, actor="organiser@example.fr")
        db.session.rollback()
    assert rows(app, party) == {a: (BookingStatus.OFFERED, 1), b: (BookingStatus.WAITING, 1)}


def test_a_cancelled_session_leaves_its_waiting_lead_waiting_on_the_others(app, event_sessions):
    a, b = event_sessions(1, 1)
    confirm(app, a, 1, "ha")
    confirm(app, b, 1, "hb")
    party = join_several(app, a, [b], 1, "lise")
    with app.app_context():
        organiser.cancel_session(a, actor="organiser@example.fr")
        db.session.commit()
        lead = booking_service.get_by_token(party)
        assert (lead.session_id, lead.status) == (b, BookingStatus.WAITING)
        assert waiting_party.party_rows(lead) == []


@pytest.mark.parametrize("value", ["abc", "-1", "1.5"])
def test_a_malformed_session_in_the_waiting_form_is_refused(
    app, client, event_sessions, book_form, value
):
    a, _b = event_sessions(1, 1)
    confirm(app, a, 1, "ha")
    response = client.post(
        f"/sessions/{a}",
        data={
            **book_form(a),
            "name": "Lise",
            "email": "lise@example.fr",
            "seats": "1",
            "action": "waitlist",
            "also": value,
        },
    )
    assert response.status_code == 422
    assert "Choisissez des séances dans la liste." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Booking).where(Booking.name == "Lise")) is None


def test_the_joined_mail_says_the_party_waits_on_the_other_sessions_too(app, event_sessions):
    a, b, c = event_sessions(1, 1, 1)
    for s in (a, b, c):
        confirm(app, s, 1, f"h{s}")
    party = join_several(app, a, [b, c], 1, "lise")
    with app.app_context():
        lead = booking_service.get_by_token(party)
        message = db.session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.kind == "waitlist_joined", OutboxMessage.booking_id == lead.id
            )
        ).one()
        rendered = mail.render_message("waitlist_joined", lead, **message.context)
        assert "Vous attendez aussi sur 2 autres séances" in rendered["body_text"]
        assert f"/b/{party}" in rendered["body_text"]


def test_an_offer_taken_up_at_the_door_withdraws_the_party_from_its_other_lists(
    app, event_sessions
):
    # A party waiting on a and b holds a's offer and comes to a's door: let in there, it
    # must leave b's list, or b could later hold seats for people already inside a.
    a, b = event_sessions(2, 2)
    holder = confirm(app, a, 2, "ha")
    confirm(app, b, 2, "hb")
    party = join_several(app, a, [b], 2, "lise")
    cancel(app, holder)
    assert rows(app, party) == {a: (BookingStatus.OFFERED, 2), b: (BookingStatus.WAITING, 2)}
    with app.app_context():
        lead = booking_service.get_by_token(party)
        at_the_door = db.session.get(EventSession, a).starts_at - timedelta(minutes=5)
        checkin.check_in(a, booking_id=lead.id, actor="door@example.fr", now=at_the_door)
        db.session.commit()
    assert rows(app, party) == {a: (BookingStatus.CONFIRMED, 2)}
    assert waiting_counts(app, a, b) == [0, 0]


def test_a_change_row_is_no_ticket_at_the_door(app, event_sessions):
    a, b = event_sessions(2, 2)
    holder = confirm(app, b, 2, "hb")
    confirm(app, a, 2, "ha")
    party = join_several(app, a, [b], 2, "lise")
    cancel(app, holder)
    with app.app_context():
        lead = booking_service.get_by_token(party)
        (row,) = waiting_party.party_rows(lead)
        assert row.status is BookingStatus.OFFERED
        at_the_door = db.session.get(EventSession, b).starts_at - timedelta(minutes=5)
        with pytest.raises(DomainError):
            checkin.check_in(b, booking_id=row.id, actor="door@example.fr", now=at_the_door)
        db.session.rollback()
    # The offer is still the visitor's to accept, on the booking page.
    assert rows(app, party)[b] == (BookingStatus.OFFERED, 2)


def places(app, token: str) -> dict[int, int | None]:
    """The party's places on its lists, as its booking page shows them: session -> place."""
    with app.app_context():
        lead = booking_service.get_by_token(token)
        return {p.row.session_id: p.place for p in waiting_party.positions(lead)}


def test_a_waiting_party_made_smaller_stays_on_all_its_lists_at_its_places(app, event_sessions):
    a, b, c = event_sessions(4, 4, 4)
    for s in (a, b, c):
        confirm(app, s, 4, f"h{s}")
    ahead = join_several(app, b, [], 1, "ahead")  # b's list: someone first, then the party
    party = join_several(app, a, [b, c], 4, "lise")
    behind = join_several(app, c, [], 2, "behind")
    assert places(app, party) == {a: 1, b: 2, c: 1}
    assert waiting_counts(app, a, b, c) == [4, 5, 6]

    with app.app_context():
        plan_changes.resize(party, 3)
        db.session.commit()

    assert rows(app, party) == {s: (BookingStatus.WAITING, 3) for s in (a, b, c)}
    assert places(app, party) == {a: 1, b: 2, c: 1}
    assert waiting_counts(app, a, b, c) == [3, 4, 5]
    assert rows(app, ahead)[b][0] is rows(app, behind)[c][0] is BookingStatus.WAITING
    with app.app_context():
        lead = booking_service.get_by_token(party)
        reduced = db.session.scalars(
            select(AuditEntry.booking_id).where(AuditEntry.action == "waitlist.reduced")
        ).all()
        assert sorted(reduced) == sorted(r.id for r in waiting_party.party_rows(lead))


def test_an_offer_elsewhere_shrinks_with_the_party_and_the_freed_seat_goes_on(app, event_sessions):
    a, b = event_sessions(4, 4)
    confirm(app, a, 4, "ha")
    hb = confirm(app, b, 4, "hb")
    party = join_several(app, a, [b], 4, "lise")
    single = join_several(app, b, [], 1, "single")
    cancel(app, hb)  # b's four seats: offered to the party's row there
    assert rows(app, party) == {a: (BookingStatus.WAITING, 4), b: (BookingStatus.OFFERED, 4)}

    with app.app_context():
        booking_service.reduce(party, 3)
        db.session.commit()

    # The offer holds the three seats the party needs; the fourth went on at once.
    assert rows(app, party) == {a: (BookingStatus.WAITING, 3), b: (BookingStatus.OFFERED, 3)}
    assert rows(app, single)[b][0] is BookingStatus.OFFERED
    with app.app_context():
        assert check_ledger() == []
        assert db.session.get(EventSession, b).seats_taken == 4
        waitlist.accept(party)
        db.session.commit()
    assert rows(app, party) == {b: (BookingStatus.CONFIRMED, 3)}
    assert waiting_counts(app, a, b) == [0, 0]


def test_a_confirmed_party_made_smaller_still_waits_to_move_but_no_more_for_extra_seats(
    app, event_sessions
):
    a, b = event_sessions(6, 4)
    mine = confirm(app, a, 4, "me")
    confirm(app, a, 2, "other")
    hb = confirm(app, b, 4, "hb")
    move_row = _change_row(app, mine, b, 4)
    grow_row = _change_row(app, mine, a, 2)
    assert waiting_counts(app, a, b) == [2, 4]

    with app.app_context():
        plan_changes.resize(mine, 3)
        db.session.commit()
        assert db.session.get(Booking, grow_row).ended_reason == "lead_reduced"
    assert rows(app, mine) == {a: (BookingStatus.CONFIRMED, 3), b: (BookingStatus.WAITING, 3)}
    assert waiting_counts(app, a, b) == [0, 3]

    cancel(app, hb)
    with app.app_context():
        assert db.session.get(Booking, move_row).status is BookingStatus.OFFERED
        waitlist.accept(mine)
        db.session.commit()
    assert rows(app, mine) == {b: (BookingStatus.CONFIRMED, 3)}
    with app.app_context():
        assert check_ledger() == []
        assert [db.session.get(EventSession, s).seats_taken for s in (a, b)] == [2, 3]


def ended(app, token: str) -> dict[int, str]:
    """The party's change rows that ended: session id -> why."""
    with app.app_context():
        lead = db.session.scalar(select(Booking).where(Booking.token == token))
        return {
            r.session_id: r.ended_reason
            for r in waiting_party.all_change_rows(lead)
            if r.status is BookingStatus.CANCELLED
        }


def test_a_no_show_released_at_the_door_leaves_its_move_and_extra_seats_lists(app, event_sessions):
    a, b = event_sessions(4, 2)
    mine = confirm(app, a, 2, "me")
    confirm(app, a, 2, "other")
    hb = confirm(app, b, 2, "hb")
    _change_row(app, mine, b, 2)
    _change_row(app, mine, a, 1)
    assert waiting_counts(app, a, b) == [1, 2]
    with app.app_context():
        at_the_door = db.session.get(EventSession, a).starts_at - timedelta(minutes=5)
        checkin.release_no_shows(a, actor="door@example.fr", now=at_the_door)
        db.session.commit()
        lead = db.session.scalar(select(Booking).where(Booking.token == mine))
        assert lead.status is BookingStatus.RELEASED
    assert ended(app, mine) == {a: "lead_released", b: "lead_released"}
    assert waiting_counts(app, a, b) == [0, 0]
    # Nobody waits for b's seats any more: one freed there is the public's to book.
    cancel(app, hb)
    with app.app_context():
        assert db.session.get(EventSession, b).seats_left == 2


def test_a_waiting_party_let_in_from_the_door_queue_leaves_its_other_lists(app, event_sessions):
    # The party waits on a and b, and comes to a's door once booking has closed: let in
    # there from the door's queue, it must leave b's list, or b would offer seats to people
    # already inside a (an offer nobody can accept, holding b's seats until it lapses).
    a, b = event_sessions(2, 2)
    ha = confirm(app, a, 2, "ha")
    hb = confirm(app, b, 2, "hb")
    party = join_several(app, a, [b], 2, "lise")
    behind = join_several(app, b, [], 2, "next")
    with app.app_context():
        lead = booking_service.get_by_token(party)
        at_the_door = db.session.get(EventSession, a).starts_at - timedelta(minutes=5)
        checkin.join_standby(a, lead.id, actor="door@example.fr", now=at_the_door)
        db.session.commit()
        booking_service.cancel(ha, now=at_the_door)  # two seats free at a's door: it goes in
        db.session.commit()
        lead = booking_service.get_by_token(party)
        assert (lead.status, lead.checked_in_seats) == (BookingStatus.CONFIRMED, 2)
    assert rows(app, party) == {a: (BookingStatus.CONFIRMED, 2)}
    assert ended(app, party) == {b: "lead_admitted"}
    assert waiting_counts(app, a, b) == [0, 2]
    with app.app_context():
        withdrawn = db.session.scalars(
            select(AuditEntry.booking_id).where(AuditEntry.action == "waitlist.withdrawn")
        ).all()
        assert len(withdrawn) == 1
    # b's seats freed later go to the party behind, not to the party already inside a.
    with app.app_context():
        booking_service.cancel(hb, now=at_the_door)
        db.session.commit()
    assert rows(app, behind)[b][0] is BookingStatus.OFFERED


def test_a_party_checked_in_waits_for_nothing_more(app, event_sessions):
    # Once its people are in, the party stays in this room: its move (refused from then)
    # and its extra seats end, and the places they took on those lists go to the others.
    a, b = event_sessions(3, 2)
    mine = confirm(app, a, 2, "me")
    confirm(app, a, 1, "other")
    hb = confirm(app, b, 2, "hb")
    _change_row(app, mine, b, 2)
    _change_row(app, mine, a, 1)
    assert waiting_counts(app, a, b) == [1, 2]
    with app.app_context():
        lead = booking_service.get_by_token(mine)
        at_the_door = db.session.get(EventSession, a).starts_at - timedelta(minutes=20)
        checkin.check_in(a, booking_id=lead.id, seats=1, actor="door@example.fr", now=at_the_door)
        db.session.commit()
    assert rows(app, mine) == {a: (BookingStatus.CONFIRMED, 2)}
    assert ended(app, mine) == {a: "lead_admitted", b: "lead_admitted"}
    assert waiting_counts(app, a, b) == [0, 0]
    cancel(app, hb)
    with app.app_context():
        assert db.session.get(EventSession, b).seats_left == 2  # the public's to book


def test_once_its_session_has_started_a_party_gets_no_offer_and_its_wishes_end(
    app, runner, event_sessions
):
    # A party booked on a that waits to move to b and for an extra seat on a. Once a has
    # started, neither can be applied (a move out of a started session is refused): b's
    # freed seats go to the next party, and the cron ends both wishes.
    a, b = event_sessions(2, 2)
    mine = confirm(app, a, 2, "me")
    hb = confirm(app, b, 2, "hb")
    _change_row(app, mine, b, 2)
    _change_row(app, mine, a, 1)
    behind = join_several(app, b, [], 2, "next")
    assert waiting_counts(app, a, b) == [1, 4]
    with app.app_context():
        session = db.session.get(EventSession, a)
        session.starts_at = utcnow() - timedelta(minutes=10)  # a has started
        session.ends_at = session.starts_at + timedelta(hours=2)
        db.session.commit()
    cancel(app, hb)
    assert rows(app, behind)[b][0] is BookingStatus.OFFERED
    assert rows(app, mine)[b][0] is BookingStatus.WAITING

    result = runner.invoke(args=["process-waitlist"])
    assert result.exit_code == 0, result.output
    assert "2 wish(es) ended" in result.output
    assert rows(app, mine) == {a: (BookingStatus.CONFIRMED, 2)}
    assert ended(app, mine) == {a: "lead_started", b: "lead_started"}
    assert waiting_counts(app, a, b) == [0, 0]
    assert "0 wish(es) ended" in runner.invoke(args=["process-waitlist"]).output


def test_the_door_never_waits_for_a_list_another_writer_holds(app, event_sessions, backend):
    # PostgreSQL: the door holds its own session's lock; locking b after it, out of id
    # order, could deadlock with a writer holding b and waiting for the door's session. So
    # a party let in while b is held elsewhere keeps its row on b for now: b offers it
    # nothing, and the cron ends it.
    if backend != "postgresql":
        pytest.skip("SQLite has one writer at a time: nobody else can hold b's lock")
    a, b = event_sessions(2, 2)
    mine = confirm(app, a, 2, "me")
    hb = confirm(app, b, 2, "hb")
    _change_row(app, mine, b, 2)
    behind = join_several(app, b, [], 2, "next")
    failures: list[BaseException] = []

    def let_in() -> None:
        try:
            with app.app_context():
                lead = booking_service.get_by_token(mine)
                at_the_door = db.session.get(EventSession, a).starts_at - timedelta(minutes=5)
                checkin.check_in(a, booking_id=lead.id, actor="door@example.fr", now=at_the_door)
                db.session.commit()
        except BaseException as error:  # reported below, in the test's thread
            failures.append(error)

    with app.app_context():
        other = db.engine.connect()
        held = other.begin()
        other.execute(select(EventSession.id).where(EventSession.id == b).with_for_update())
        door = threading.Thread(target=let_in)
        door.start()
        door.join(timeout=20)
        waited = door.is_alive()
        held.rollback()
        other.close()
        door.join(timeout=20)
    assert not waited, "the door waited for b's lock"
    assert failures == []
    assert rows(app, mine) == {a: (BookingStatus.CONFIRMED, 2), b: (BookingStatus.WAITING, 2)}
    cancel(app, hb)
    assert rows(app, behind)[b][0] is BookingStatus.OFFERED
    assert rows(app, mine)[b][0] is BookingStatus.WAITING
    with app.app_context():
        assert waitlist.end_spent_wishes() == 1
        db.session.commit()
    assert ended(app, mine) == {b: "lead_admitted"}
    assert waiting_counts(app, a, b) == [0, 0]
