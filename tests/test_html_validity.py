"""Every page's markup passes the W3C Nu HTML checker (vnu) with no error.

vnu.jar comes from the npm registry (``make install`` runs ``npm ci``, which installs the
``vnu-jar`` dev dependency) and runs on the machine's Java. Starting Java is slow, so every
page is written to a file and the whole set is checked by one vnu run. Warnings are printed,
not failed. The markup does not depend on the database, so this runs on SQLite only.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from app.extensions import db
from app.models import EventSession
from app.timeutil import utcnow

from .helpers import (
    a_booking_that_can_move,
    a_day_to_cancel,
    demo_party_on_several,
    demo_with_a_queue,
    form_fields,
    leave_one_seat,
    session_of,
    take_the_last_seats,
)

pytestmark = pytest.mark.parametrize("app", ["sqlite"], indirect=True)

ROOT = Path(__file__).resolve().parent.parent
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
IN_CI = os.environ.get("CI", "").lower() == "true"

# A fragment htmx swaps into a page is checked inside a minimal document of its own.
FRAGMENT_PAGE = (
    '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Fragment</title></head>'
    "<body>{}</body></html>"
)


def unavailable(reason: str) -> None:
    """A missing checker fails under CI (it would pass silently), elsewhere it skips."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this is a failure)")
    pytest.skip(reason)


@pytest.fixture
def vnu() -> list[str]:
    """The command that runs the checker."""
    java = shutil.which("java")
    if not java:
        unavailable("java not found; install it with 'apt-get install default-jre-headless'")
    if not VNU_JAR.exists():
        unavailable(f"{VNU_JAR} not found; run 'make install' (npm ci installs vnu-jar)")
    return [java, "-jar", str(VNU_JAR), "--format", "json", "--stdout"]


def fetch(client, path: str, status: int = 200, **headers: str) -> str:
    """A page as the browser gets it; it must be there."""
    response = client.get(path, headers=headers)
    assert response.status_code == status, f"{path}: {response.status_code}"
    return response.get_data(as_text=True)


def refused_change(client, token: str, action: str, data: dict[str, str], status: int) -> str:
    """The booking page after one of its forms (``/b/<token>/<action>``) was refused."""
    fields = form_fields(fetch(client, f"/b/{token}"), action=f"/b/{token}/{action}")
    response = client.post(f"/b/{token}/{action}", data={**fields, **data})
    assert response.status_code == status, response.status_code
    return response.get_data(as_text=True)


def refused_reduction(client, token: str, seats: str, status: int) -> str:
    """The booking page after its "reduce the party" form was refused."""
    fields = form_fields(fetch(client, f"/b/{token}"), action="/seats")
    response = client.post(f"/b/{token}/seats", data={**fields, "seats": seats})
    assert response.status_code == status, response.status_code
    return response.get_data(as_text=True)


def with_questions(app, session_id: int) -> tuple[int, int]:
    """The session's event asks three questions, and one party answered them.

    Returns the event's id and one question's id.
    """
    from app.models import QuestionKind
    from app.services import booking as booking_service
    from app.services import questions

    with app.app_context():
        event_id = db.session.get(EventSession, session_id).event_id
        asked = [
            questions.add_question(
                event_id,
                questions.QuestionFields(kind, label, required=True, choices_fr=choices),
                actor="setup",
            )
            for kind, label, choices in (
                (QuestionKind.CHOICE, "Pointure", "36-38\n39-41"),
                (QuestionKind.YES_NO, "Repas végétarien", ""),
                (QuestionKind.TEXT, "Remarque", ""),
            )
        ]
        booking_service.book(
            booking_service.BookingRequest(
                session_id,
                "Hélène Müller",
                "helene@example.fr",
                1,
                answers=tuple(
                    (q.id, a)
                    for q, a in zip(asked, ("39-41", "yes", "Arrivée à pied"), strict=True)
                ),
            )
        )
        db.session.commit()
        return event_id, asked[0].id


def test_every_page_passes_the_nu_html_checker(app, runner, staff_login, vnu, tmp_path, capsys):
    """Public, door and organiser pages (and the door board fragment): no vnu error."""
    data = demo_with_a_queue(app, runner)
    several_full, several = demo_party_on_several(app)
    asking, question = with_questions(app, data["open"])
    visitor = app.test_client()
    pages = {
        "programme": fetch(visitor, "/"),
        "session-open": fetch(visitor, f"/sessions/{data['open']}"),
        "session-full": fetch(visitor, f"/sessions/{data['full']}"),
        "booking": fetch(visitor, f"/b/{data['token']}"),
        "booking-cancel-step": fetch(visitor, f"/b/{data['token']}/cancel"),
        "booking-waiting": fetch(visitor, f"/b/{data['waiting_token']}"),
        "booking-offer": fetch(visitor, f"/b/{data['offer_token']}/accept"),
        "session-full-others": fetch(visitor, f"/sessions/{several_full}"),
        "booking-several": fetch(visitor, f"/b/{several}"),
        "booking-several-offer": fetch(visitor, f"/b/{several}/accept"),
        "gallery": fetch(visitor, "/collection/"),
        "gallery-search": fetch(visitor, "/collection/?q=cevennes&category=ore"),
        "specimen": fetch(visitor, "/collection/MA-MNR-0001"),
        "privacy": fetch(visitor, "/privacy"),
        "login": fetch(visitor, "/login"),
        "not-found": fetch(visitor, "/sessions/999999", status=404),
        "embed-week": fetch(visitor, "/embed/"),
        "embed-kind": fetch(visitor, "/embed/?kind=film"),
        "embed-event": fetch(visitor, f"/embed/?event={data['event']}"),
    }
    # The event's own questions unanswered: their errors next to them.
    fields = form_fields(pages["session-open"])
    unanswered = {k: v for k, v in fields.items() if not k.startswith("question-")}
    unanswered.update(name="Ada", email="ada@example.fr", seats="1")
    refused = visitor.post(f"/sessions/{data['open']}", data=unanswered)
    assert refused.status_code == 422
    pages["session-questions-refused"] = refused.get_data(as_text=True)
    english = app.test_client()
    english.get("/language/en")
    pages["programme-english"] = fetch(english, "/")

    door = staff_login(app.test_client(), "checkin", "porte@mines-ales.fr")
    board = f"/checkin/sessions/{data['open']}"
    pages["checkin-sessions"] = fetch(door, "/checkin/")
    pages["checkin-door-list"] = fetch(door, board)
    pages["checkin-board-fragment"] = FRAGMENT_PAGE.format(
        fetch(door, board, **{"HX-Request": "true", "HX-Target": "board"})
    )
    pages["checkin-release"] = fetch(door, f"{board}/release")

    # An admin sees every organiser page, and the audit log and staff accounts besides.
    organiser = staff_login(app.test_client(), "admin", "admin@mines-ales.fr")
    for name, path in {
        "overview": "/admin/",
        "session": f"/admin/sessions/{data['open']}",
        "session-waiting-list": f"/admin/sessions/{data['full']}",
        "session-edit": f"/admin/sessions/{data['open']}/edit",
        "session-cancel": f"/admin/sessions/{data['open']}/cancel",
        "session-print": f"/admin/sessions/{data['open']}/print",
        "booking-new": f"/admin/sessions/{data['open']}/bookings/new",
        "booking-move": f"/admin/bookings/{data['booking']}/move",
        "booking-cancel": f"/admin/bookings/{data['booking']}/cancel",
        "events": "/admin/events",
        "event-new": "/admin/events/new",
        "event-edit": f"/admin/events/{data['event']}/edit",
        "event-session-new": f"/admin/events/{data['event']}/sessions/new",
        "messages": "/admin/messages",
        "audit": "/admin/audit",
        "staff": "/admin/staff",
        "statistics": "/admin/statistics",
        "specimens": "/admin/specimens",
        "specimen-new": "/admin/specimens/new",
        "specimen-edit": f"/admin/specimens/{data['specimen']}/edit",
        "privacy-export": "/admin/privacy/export",
        "event-questions": f"/admin/events/{asking}/questions",
        "question-edit": f"/admin/events/{asking}/questions/{question}",
    }.items():
        pages[f"admin-{name}"] = fetch(organiser, path)

    # The booking page's changes of plans refused, with the offer to wait; « Je ne peux
    # pas venir ».
    pages["booking-cant-come"] = fetch(visitor, f"/b/{data['token']}/cant-come")
    mover, target = a_booking_that_can_move(app)
    pages["booking-with-moves"] = fetch(visitor, f"/b/{mover}")
    leave_one_seat(app, target)
    moved = refused_change(visitor, mover, "move", {"session_id": str(target)}, 409)
    assert "wait-offer" in moved
    pages["booking-move-refused"] = moved
    leave_one_seat(app, session_of(app, mover), others=2)
    grown = refused_change(visitor, mover, "seats", {"seats": "4"}, 409)
    assert "wait-offer" in grown
    pages["booking-grow-refused"] = grown
    take_the_last_seats(app, target)  # its page now points to the times with seats
    elsewhere = fetch(visitor, f"/sessions/{target}")
    assert "elsewhere-title" in elsewhere
    pages["session-full-elsewhere"] = elsewhere

    # The "reduce the party" form refused: next to its field, then (the session has
    # started, a refusal of no field) above the form. Last: the session is then under way.
    pages["booking-reduce-refused"] = refused_reduction(visitor, data["token"], "7", 422)
    with app.app_context():
        session = db.session.get(EventSession, data["open"])
        session.starts_at = utcnow() - timedelta(minutes=5)
        db.session.commit()
    too_late = refused_reduction(visitor, data["token"], "1", 409)
    assert 'role="alert"' in too_late
    pages["booking-reduce-too-late"] = too_late

    # A bad day: the organisers' form and preview, then the page the mail's link opens.
    bad = a_day_to_cancel(app, exclude=data["open"])
    pages["admin-cancel-day"] = fetch(organiser, "/admin/cancel-day")
    pages["admin-cancel-day-preview"] = fetch(
        organiser, f"/admin/cancel-day?day={bad['day']}&event_id={bad['event']}"
    )
    with app.app_context():
        from app.services import bad_day, plan_changes
        from app.services import booking as booking_service

        bad_day.cancel_day(
            bad_day.parse_scope(str(bad["day"]), str(bad["event"])), actor="tests@example.fr"
        )
        db.session.commit()
        cancelled = booking_service.get_by_token(str(bad["token"]))
        target = plan_changes.rebook_targets(cancelled)[0].id
    pages["booking-rebook"] = fetch(visitor, f"/b/{bad['token']}/rebook/{target}")
    pages["booking-cancelled-with-its-session"] = fetch(visitor, f"/b/{bad['token']}")

    files = []
    for name, html in pages.items():
        path = tmp_path / f"{name}.html"
        path.write_text(html, encoding="utf-8")
        files.append(str(path))
    run = subprocess.run([*vnu, *files], capture_output=True, text=True, timeout=240, check=False)
    try:
        messages = json.loads(run.stdout)["messages"]
    except (ValueError, KeyError):
        pytest.fail(f"vnu gave no JSON report (exit {run.returncode}): {run.stderr[:500]}")

    def line(message: dict) -> str:
        where = Path(message.get("url", "")).stem
        return f"{where}:{message.get('lastLine', '?')}: {message['message']}"

    errors = [line(m) for m in messages if m["type"] != "info"]
    warnings = [line(m) for m in messages if m["type"] == "info"]
    with capsys.disabled():
        for warning in warnings:
            print(f"vnu warning: {warning}")
    assert not errors, "vnu errors:\n" + "\n".join(errors)
