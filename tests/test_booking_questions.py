"""An event's own booking questions: the forms ask them, the lists show the answers, and
the answers go with the rest of a person's data."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import (
    AuditEntry,
    Booking,
    BookingAnswer,
    BookingQuestion,
    BookingStatus,
    EventSession,
    QuestionKind,
)
from app.services import booking as booking_service
from app.services import privacy, questions, waitlist
from app.timeutil import utcnow

from .helpers import form_fields

SIZES = "36-38\n39-41\n42-44\n45 et plus"
SIZES_EN = "36-38\n39-41\n42-44\n45 and over"


def event_of(app, session_id: int) -> int:
    with app.app_context():
        return db.session.get(EventSession, session_id).event_id


def add_questions(app, session_id: int) -> dict[str, int]:
    """A hike's three questions: shoe size (required list), a meal (yes/no), a remark."""
    event_id = event_of(app, session_id)
    with app.app_context():
        size = questions.add_question(
            event_id,
            questions.QuestionFields(
                QuestionKind.CHOICE,
                "Pointure pour les chaussures prêtées",
                "Shoe size for the lent shoes",
                required=True,
                choices_fr=SIZES,
                choices_en=SIZES_EN,
            ),
            actor="herve@mines-ales.fr",
        )
        meal = questions.add_question(
            event_id,
            questions.QuestionFields(QuestionKind.YES_NO, "Repas végétarien", "Vegetarian meal"),
            actor="herve@mines-ales.fr",
        )
        remark = questions.add_question(
            event_id,
            questions.QuestionFields(QuestionKind.TEXT, "Remarque pour le guide", "For the guide"),
            actor="herve@mines-ales.fr",
        )
        db.session.commit()
        return {"size": size.id, "meal": meal.id, "remark": remark.id}


def page_fields(client, session_id: int) -> dict[str, str]:
    """The booking form's hidden fields (the radios' first values left out)."""
    html = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    return {k: v for k, v in form_fields(html).items() if not k.startswith("question-")}


def post(client, session_id, ids, *, action="book", **answers):
    data = {
        **page_fields(client, session_id),
        "name": "Hélène Müller",
        "email": "helene@example.fr",
        "seats": "2",
        "action": action,
    }
    for key, value in answers.items():
        data[f"question-{ids[key]}"] = value
    return client.post(f"/sessions/{session_id}", data=data)


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def stored_answers(app) -> dict[int, str]:
    with app.app_context():
        return {a.question_id: a.value for a in db.session.scalars(select(BookingAnswer))}


# ----------------------------------------------------------------------------- the form


def test_the_form_asks_the_questions_in_the_pages_language(app, client, make_session):
    session_id = make_session(capacity=10)
    add_questions(app, session_id)
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert "Pointure pour les chaussures prêtées" in page
    assert "Repas végétarien (facultatif)" in page
    assert 'value="45 et plus"' in page
    assert page.index('name="accessibility_needs"') < page.index("Pointure")
    client.set_cookie("lang", "en")
    english = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert "Shoe size for the lent shoes" in english
    assert "45 and over" in english
    assert 'value="45 et plus"' in english  # the value sent stays the French wording


def test_a_required_question_unanswered_blocks_the_booking(app, client, make_session):
    session_id = make_session(capacity=10)
    ids = add_questions(app, session_id)
    response = post(client, session_id, ids, remark="Je marche lentement")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Répondez à cette question." in page
    assert f'id="question-{ids["size"]}-error"' in page
    assert 'value="Je marche lentement"' in page  # what was typed is kept
    assert 'value="Hélène Müller"' in page
    assert count(app, Booking) == 0
    assert count(app, BookingAnswer) == 0
    with app.app_context():
        assert db.session.get(EventSession, session_id).seats_taken == 0


def test_a_choice_not_in_the_list_is_refused(app, client, make_session):
    session_id = make_session(capacity=10)
    ids = add_questions(app, session_id)
    response = post(client, session_id, ids, size="47", meal="peut-être")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Choisissez une réponse dans la liste." in page
    assert "Répondez par oui ou par non." in page
    assert count(app, Booking) == 0


def test_a_too_long_answer_is_refused_with_the_other_fields_errors(app, client, make_session):
    session_id = make_session(capacity=10)
    ids = add_questions(app, session_id)
    data = {
        **page_fields(client, session_id),
        "name": "",
        "email": "helene@example.fr",
        "seats": "1",
        f"question-{ids['remark']}": "x" * 201,
    }
    response = client.post(f"/sessions/{session_id}", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Indiquez votre nom." in page
    assert "Merci de rester sous 200 caractères." in page
    assert "Répondez à cette question." in page  # all the messages at once
    assert count(app, Booking) == 0


def test_the_answers_are_stored_with_the_booking(app, client, make_session):
    session_id = make_session(capacity=10)
    ids = add_questions(app, session_id)
    response = post(client, session_id, ids, size="39-41", meal="yes", remark="Genou fragile")
    assert response.status_code == 303
    assert stored_answers(app) == {
        ids["size"]: "39-41",
        ids["meal"]: "yes",
        ids["remark"]: "Genou fragile",
    }
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Booking)) == 1


def test_the_service_refuses_before_writing_anything(app, make_session):
    session_id = make_session(capacity=10)
    ids = add_questions(app, session_id)
    request = booking_service.BookingRequest(
        session_id, "Ada", "ada@example.fr", 1, answers=((ids["meal"], "yes"),)
    )
    with app.app_context(), pytest.raises(questions.AnswersRefused) as refused:
        booking_service.book(request)
    assert refused.value.problems == {ids["size"]: "required"}
    with app.app_context(), pytest.raises(questions.AnswersRefused):
        booking_service.join_waitlist(request)
    assert count(app, Booking) == 0
    # Organisers booking by phone ask what they can: nothing is required of them.
    with app.app_context():
        booking_service.book(
            booking_service.BookingRequest(
                session_id, "Ada", "ada@example.fr", 1, by_organiser=True
            )
        )
        db.session.commit()
    assert count(app, Booking) == 1


def test_a_waiting_party_keeps_its_answers_when_it_gets_the_seats(app, client, make_session):
    session_id = make_session(capacity=2)
    ids = add_questions(app, session_id)
    with app.app_context():
        holder = booking_service.book(
            booking_service.BookingRequest(
                session_id, "Bob", "bob@example.fr", 2, by_organiser=True
            )
        )
        db.session.commit()
        holder_token = holder.token
    refused = post(client, session_id, ids, action="waitlist")
    assert refused.status_code == 422
    assert "Répondez à cette question." in refused.get_data(as_text=True)
    joined = post(client, session_id, ids, action="waitlist", size="42-44", meal="no")
    assert joined.status_code == 303
    with app.app_context():
        waiting = db.session.scalars(
            select(Booking).where(Booking.status == BookingStatus.WAITING)
        ).one()
        waiting_id = waiting.id
        booking_service.cancel(holder_token)
        db.session.commit()
        offered = db.session.get(Booking, waiting_id)
        assert offered.status is BookingStatus.OFFERED
        waitlist.accept(offered.token)
        db.session.commit()
        confirmed = db.session.get(Booking, waiting_id)
        assert confirmed.status is BookingStatus.CONFIRMED
        lines = questions.answer_lines([confirmed])[confirmed.id]
    assert [(line.label, line.answer) for line in lines] == [
        ("Pointure pour les chaussures prêtées", "42-44"),
        ("Repas végétarien", "non"),
    ]


def test_a_move_to_another_session_keeps_the_answers(app, client, make_session):
    session_id = make_session(capacity=10)
    ids = add_questions(app, session_id)
    with app.app_context():
        event_id = db.session.get(EventSession, session_id).event_id
        first = db.session.get(EventSession, session_id)
        other = EventSession(
            event_id=event_id,
            starts_at=first.starts_at + timedelta(days=1),
            ends_at=first.ends_at + timedelta(days=1),
            capacity=10,
        )
        db.session.add(other)
        db.session.commit()
        other_id = other.id
    assert post(client, session_id, ids, size="36-38").status_code == 303
    with app.app_context():
        booking = db.session.scalars(select(Booking)).one()
        token, booking_id = booking.token, booking.id
    # The visitor's own change of plans, from the booking page.
    fields = form_fields(client.get(f"/b/{token}").get_data(as_text=True), f"/b/{token}/move")
    moved = client.post(f"/b/{token}/move", data={**fields, "session_id": str(other_id)})
    assert moved.status_code == 303
    with app.app_context():
        assert db.session.get(Booking, booking_id).session_id == other_id
    assert stored_answers(app) == {ids["size"]: "36-38"}


# ------------------------------------------------------------------------- the lists


@pytest.fixture
def booked(app, client, make_session):
    """A session whose questions Hélène answered with accents."""
    session_id = make_session(capacity=10, starts_in=timedelta(hours=1))
    ids = add_questions(app, session_id)
    with app.app_context():
        booking = booking_service.book(
            booking_service.BookingRequest(
                session_id,
                "Hélène Müller",
                "helene@example.fr",
                2,
                answers=(
                    (ids["size"], "45 et plus"),
                    (ids["meal"], "yes"),
                    (ids["remark"], "Arrivée en retard, désolée"),
                ),
                by_organiser=True,  # the session starts within the hour: the door's today
            )
        )
        db.session.commit()
        return {"session_id": session_id, "ids": ids, "token": booking.token, "id": booking.id}


def test_the_answers_are_on_the_attendee_list_csv_and_print(app, client, staff_login, booked):
    staff_login(client, "organiser")
    session_id = booked["session_id"]
    page = client.get(f"/admin/sessions/{session_id}").get_data(as_text=True)
    assert "Pointure pour les chaussures prêtées\u202f: 45 et plus" in page
    assert "Repas végétarien\u202f: oui" in page
    response = client.get(f"/admin/sessions/{session_id}/attendees.csv")
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())
    text = raw.decode("utf-8")
    header, row = text.lstrip("\ufeff").split("\r\n")[:2]
    assert header.endswith(
        ";Pointure pour les chaussures prêtées;Repas végétarien;Remarque pour le guide"
    )
    assert row.endswith(";45 et plus;oui;Arrivée en retard, désolée")
    printed = client.get(f"/admin/sessions/{session_id}/print").get_data(as_text=True)
    assert "Remarque pour le guide\u202f: Arrivée en retard, désolée" in printed


def test_the_answers_are_on_the_door_tablet_and_its_offline_data(app, client, staff_login, booked):
    staff_login(client, "checkin", "door@mines-ales.fr")
    board = client.get(f"/checkin/sessions/{booked['session_id']}").get_data(as_text=True)
    assert (
        "Pointure pour les chaussures prêtées\u202f: 45 et plus · Repas végétarien\u202f: oui"
        in board
    )
    day = json.loads(client.get("/checkin/day").get_data(as_text=True))
    (party,) = [b for s in day["sessions"] for b in s["bookings"]]
    assert party["answers"].startswith("Pointure pour les chaussures prêtées\u202f: 45 et plus")
    assert "Arrivée en retard, désolée" in party["answers"]


# ------------------------------------------------------------------------ personal data


def test_the_answers_are_in_the_export(app, booked):
    with app.app_context():
        export = privacy.personal_data("helene@example.fr")
    (booking,) = export["bookings"]
    assert {a["question"]: a["answer"] for a in booking["answers"]} == {
        "Pointure pour les chaussures prêtées": "45 et plus",
        "Repas végétarien": "yes",
        "Remarque pour le guide": "Arrivée en retard, désolée",
    }


def test_the_answers_are_gone_after_the_purge(app, booked):
    with app.app_context():
        db.session.execute(
            update(EventSession)
            .where(EventSession.id == booked["session_id"])
            .values(starts_at=utcnow() - timedelta(days=40), ends_at=utcnow() - timedelta(days=40))
        )
        db.session.commit()
        report = privacy.purge_personal_data(days=30)
        db.session.commit()
    assert report.answers == 3
    assert count(app, BookingAnswer) == 0
    assert count(app, BookingQuestion) == 3  # the questions are the organisers', not personal


def test_the_answers_are_gone_after_self_erasure(app, client, booked):
    token = booked["token"]
    fields = form_fields(client.get(f"/b/{token}/erase").get_data(as_text=True), "/erase")
    assert client.post(f"/b/{token}/erase", data=fields).status_code == 303
    assert count(app, BookingAnswer) == 0


# ------------------------------------------------------------------------ the organisers


def test_a_booking_by_phone_asks_the_questions_without_requiring_them(
    app, client, staff_login, make_session
):
    """The organisers' phone form shows the event's questions; what the caller answers is
    kept and checked, and a required one the caller did not answer does not block it."""
    session_id = make_session(capacity=10)
    ids = add_questions(app, session_id)
    staff_login(client, "organiser")
    path = f"/admin/sessions/{session_id}/bookings/new"
    page = client.get(path).get_data(as_text=True)
    assert "Pointure pour les chaussures prêtées" in page and "Repas végétarien" in page
    fields = {k: v for k, v in form_fields(page).items() if not k.startswith("question-")}
    caller = {**fields, "name": "Jean Giono", "email": "jean@example.fr", "seats": "2"}

    refused = client.post(path, data={**caller, f"question-{ids['size']}": "48"})
    assert refused.status_code == 422
    assert "Choisissez une réponse dans la liste." in refused.get_data(as_text=True)
    assert count(app, Booking) == 0 and count(app, BookingAnswer) == 0

    answered = client.post(
        path,
        data={**caller, f"question-{ids['meal']}": "yes", f"question-{ids['remark']}": "Genou"},
    )
    assert answered.status_code == 303
    assert stored_answers(app) == {ids["meal"]: "yes", ids["remark"]: "Genou"}


def test_organisers_add_edit_reorder_and_remove_questions(app, client, staff_login, make_session):
    session_id = make_session(capacity=10)
    event_id = event_of(app, session_id)
    visitor = app.test_client()
    assert "Covoiturage" not in visitor.get(f"/sessions/{session_id}").get_data(as_text=True)
    staff_login(client, "organiser")
    url = f"/admin/events/{event_id}/questions"
    fields = form_fields(client.get(url).get_data(as_text=True), "/questions")
    refused = client.post(
        url, data={**fields, "kind": "choice", "label_fr": "Taille", "choices_fr": "S"}
    )
    assert refused.status_code == 422
    assert "Donnez entre 2 et 20 choix différents, un par ligne." in refused.get_data(as_text=True)
    for label in ("Taille de t-shirt", "Covoiturage"):
        added = client.post(
            url,
            data={
                **fields,
                "kind": "choice",
                "label_fr": label,
                "choices_fr": "S\nM\nL",
                "required": "y",
            },
        )
        assert added.status_code == 303
    # The public form asks it at once (the page's cached parts see the change).
    assert "Covoiturage" in visitor.get(f"/sessions/{session_id}").get_data(as_text=True)
    with app.app_context():
        first, second = questions.event_questions(event_id)
        first_id, second_id = first.id, second.id
    edit = f"{url}/{second_id}"
    edit_page = client.get(edit).get_data(as_text=True)
    assert 'value="Covoiturage"' in edit_page
    edit_fields = form_fields(edit_page, edit)
    edit_fields.pop("required")  # a checkbox left unticked is not sent
    saved = client.post(
        edit, data={**edit_fields, "kind": "yes_no", "label_fr": "Covoiturage possible"}
    )
    assert saved.status_code == 303
    moved = client.post(f"{url}/{second_id}/move", data={**fields, "direction": "up"})
    assert moved.status_code == 303
    with app.app_context():
        order = [(q.label_fr, q.kind, q.required) for q in questions.event_questions(event_id)]
    assert order == [
        ("Covoiturage possible", QuestionKind.YES_NO, False),
        ("Taille de t-shirt", QuestionKind.CHOICE, True),
    ]
    # Someone answers the t-shirt question: removing it retires it, the answer stays.
    with app.app_context():
        booking_service.book(
            booking_service.BookingRequest(
                session_id, "Ada", "ada@example.fr", 1, answers=((first_id, "M"),)
            )
        )
        db.session.commit()
    assert client.post(f"{url}/{first_id}/remove", data=fields).status_code == 303
    assert client.post(f"{url}/{second_id}/remove", data=fields).status_code == 303
    with app.app_context():
        assert questions.event_questions(event_id) == []
        kept = db.session.get(BookingQuestion, first_id)
        assert kept is not None and kept.removed_at is not None
        assert db.session.get(BookingQuestion, second_id) is None
        actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {
        "question.added",
        "question.saved",
        "question.moved",
        "question.retired",
        "question.deleted",
    } <= actions
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert "Taille de t-shirt" not in page  # no longer asked
    listed = client.get(f"/admin/sessions/{session_id}").get_data(as_text=True)
    assert "Taille de t-shirt\u202f: M" in listed  # still readable


def test_only_organisers_and_admins_edit_questions(app, client, staff_login, make_session):
    session_id = make_session(capacity=10)
    event_id = event_of(app, session_id)
    staff_login(client, "checkin", "door@mines-ales.fr")
    assert client.get(f"/admin/events/{event_id}/questions").status_code == 403


def test_csv_cells_from_answers_are_disarmed(app, make_session):
    session_id = make_session(capacity=10)
    ids = add_questions(app, session_id)
    with app.app_context():
        booking_service.book(
            booking_service.BookingRequest(
                session_id,
                "Ada",
                "ada@example.fr",
                1,
                answers=((ids["size"], "36-38"), (ids["remark"], "=HYPERLINK(1)")),
            )
        )
        db.session.commit()
        from app.services import exports

        text = exports.attendees_csv(db.session.get(EventSession, session_id))
    assert ";'=HYPERLINK(1)" in text
    assert io.StringIO(text).read().count("\r\n") == 2


def test_a_party_waiting_on_several_sessions_answers_once_and_keeps_it(app, make_session):
    first_id = make_session(capacity=1)
    ids = add_questions(app, first_id)
    with app.app_context():
        first = db.session.get(EventSession, first_id)
        second = EventSession(
            event_id=first.event_id,
            starts_at=first.starts_at + timedelta(days=1),
            ends_at=first.ends_at + timedelta(days=1),
            capacity=1,
        )
        db.session.add(second)
        db.session.commit()
        second_id = second.id
        holders = {}
        for session_id in (first_id, second_id):
            holders[session_id] = booking_service.book(
                booking_service.BookingRequest(
                    session_id, "Bob", f"bob{session_id}@example.fr", 1, by_organiser=True
                )
            ).token
        lead = booking_service.join_waitlist(
            booking_service.BookingRequest(
                first_id,
                "Hélène",
                "helene@example.fr",
                1,
                also=(second_id,),
                answers=((ids["size"], "39-41"),),
            )
        )
        db.session.commit()
        lead_id, lead_token = lead.id, lead.token
        (change,) = db.session.scalars(
            select(Booking).where(Booking.changes_booking_id == lead_id)
        ).all()
        # The other session's waiting list shows what the party answered.
        shown = questions.answer_lines([change])[change.id]
        assert [(line.label, line.answer) for line in shown] == [
            ("Pointure pour les chaussures prêtées", "39-41")
        ]
        booking_service.cancel(holders[second_id])
        db.session.commit()
        waitlist.accept(lead_token, offer_id=change.id)
        db.session.commit()
        confirmed = db.session.get(Booking, lead_id)
        assert (confirmed.status, confirmed.session_id) == (BookingStatus.CONFIRMED, second_id)
    assert stored_answers(app) == {ids["size"]: "39-41"}
    with app.app_context():
        assert (
            db.session.scalar(
                select(BookingAnswer.booking_id).where(BookingAnswer.question_id == ids["size"])
            )
            == lead_id
        )
