"""Seats held for a group: the hold takes them, the code books them, the release gives back."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEntry, Booking, BookingStatus, EventSession, GroupHold
from app.services import booking as booking_service
from app.services import group_holds, ledger
from app.services.booking_request import BookingRequest
from app.services.group_hold_errors import GroupCodeInvalid, GroupSeatsExceeded, HoldTooLarge
from app.timeutil import utcnow

from .helpers import form_fields

TEACHER = {"name": "Mme Lefèvre", "email": "classe.5b@college-ales.fr"}


def hold(app: Any, session_id: int, seats: int, hours: float = 24, label: str = "5e B") -> str:
    """Hold ``seats`` for a group until ``hours`` from now; return its code."""
    with app.app_context():
        made = group_holds.hold_seats(
            session_id, seats, label, utcnow() + timedelta(hours=hours), actor="test"
        )
        db.session.commit()
        return made.code


def seats(app: Any, session_id: int) -> tuple[int, int]:
    """(seats taken, seats left for the public) of a session."""
    with app.app_context():
        session = db.session.get(EventSession, session_id)
        return session.seats_taken, session.seats_left


def ledger_ok(app: Any) -> bool:
    with app.app_context():
        return ledger.check_ledger() == []


def test_a_hold_takes_its_seats_and_the_public_cannot_book_them(
    app, client, make_session, book_form
):
    session_id = make_session(capacity=10)
    hold(app, session_id, 8)
    assert seats(app, session_id) == (8, 2)
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert "2 places" in page
    fields = book_form(session_id)
    refused = client.post(
        f"/sessions/{session_id}",
        data={**fields, "name": "Marie", "email": "marie@example.fr", "seats": "3"},
    )
    assert refused.status_code == 409
    assert seats(app, session_id) == (8, 2)
    assert ledger_ok(app)


def test_a_hold_is_refused_beyond_the_free_seats(app, make_session):
    session_id = make_session(capacity=5)
    hold(app, session_id, 3)
    with app.app_context(), pytest.raises(HoldTooLarge):
        group_holds.hold_seats(session_id, 3, "CM2", utcnow() + timedelta(hours=2), actor="test")
    assert seats(app, session_id) == (3, 2)


def test_the_link_opens_the_group_form_and_books_beyond_the_per_booking_maximum(
    app, client, make_session
):
    session_id = make_session(capacity=40)
    code = hold(app, session_id, 25)
    page = client.get(f"/sessions/{session_id}?code={code}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Réservation de groupe" in html and "5e B" in html
    fields = form_fields(html, f"/sessions/{session_id}")
    assert fields["group_code"] == code
    done = client.post(
        f"/sessions/{session_id}", data={**fields, **TEACHER, "seats": "25", "adults": "3"}
    )
    assert done.status_code == 303, done.get_data(as_text=True)[:500]
    with app.app_context():
        booking = db.session.scalar(select(Booking))
        assert (booking.seats, booking.adults, booking.source) == (25, 3, "group")
        assert booking.group_hold_id is not None
        made = db.session.get(GroupHold, booking.group_hold_id)
        assert (made.seats_used, made.seats_unused) == (25, 0)
        actions = set(db.session.scalars(select(AuditEntry.action)))
        assert {"group_hold.created", "group_hold.booked"} <= actions
    assert seats(app, session_id) == (25, 15)
    assert ledger_ok(app)


def test_a_typed_code_books_and_counts_as_one_for_the_address_cap(
    app, client, make_session, book_form
):
    session_id = make_session(capacity=40)
    code = hold(app, session_id, 12)
    fields = book_form(session_id)
    typed = "-".join(code[i : i + 4] for i in range(0, len(code), 4)).lower()
    done = client.post(
        f"/sessions/{session_id}",
        data={**fields, **TEACHER, "seats": "10", "group_code": typed},
    )
    assert done.status_code == 303, done.get_data(as_text=True)[:500]
    # The same teacher still books for their own family: the group counts as one seat.
    own = client.post(
        f"/sessions/{session_id}", data={**book_form(session_id), **TEACHER, "seats": "3"}
    )
    assert own.status_code == 303, own.get_data(as_text=True)[:500]
    assert seats(app, session_id) == (15, 25)
    assert ledger_ok(app)


def test_a_code_books_no_more_than_its_held_seats(app, client, make_session):
    session_id = make_session(capacity=40)
    code = hold(app, session_id, 10)
    fields = form_fields(client.get(f"/sessions/{session_id}?code={code}").get_data(as_text=True))
    refused = client.post(f"/sessions/{session_id}", data={**fields, **TEACHER, "seats": "11"})
    assert refused.status_code == 422
    assert "10 places au plus" in refused.get_data(as_text=True)
    first = client.post(f"/sessions/{session_id}", data={**fields, **TEACHER, "seats": "6"})
    assert first.status_code == 303
    with app.app_context():
        request = BookingRequest(session_id, "Autre", "autre@example.fr", 5)
        with pytest.raises(GroupSeatsExceeded):
            group_holds.book_with_code(group_holds.GroupBookingRequest(request, code))
        assert db.session.scalar(select(func.count()).select_from(Booking)) == 1
    assert seats(app, session_id) == (10, 30)


def refusal_of(client: Any, url: str) -> tuple[int, str]:
    response = client.get(url)
    html = response.get_data(as_text=True)
    return response.status_code, html


def test_wrong_codes_are_refused_alike_and_reveal_nothing(app, client, make_session):
    session_id = make_session(capacity=20)
    other_id = make_session(capacity=20)
    code = hold(app, session_id, 5)
    other_code = hold(app, other_id, 5, label="Club géologie")
    expired_code = hold(app, session_id, 2, hours=0.001)
    with app.app_context():
        group_holds.release_due(utcnow() + timedelta(minutes=5))
        db.session.commit()
    answers = []
    for wrong in ("A" * 26, other_code, expired_code, code[:-1]):
        status, html = refusal_of(client, f"/sessions/{session_id}?code={wrong}")
        assert status == 404
        assert "Club géologie" not in html and "5e B" not in html
        assert "Ce code de groupe n’est pas valable pour cette séance" in html
        panel = html.split('id="booking-panel"')[1].split("</section>")[0]
        # The form's own secrets differ from page to page: the nonce always, the signed CSRF
        # token (in the field and in htmx's header) from one second to the next.
        panel = re.sub(r'name="(csrf_token|nonce)" value="[^"]*"', "", panel)
        answers.append(re.sub(r'"X-CSRFToken": "[^"]*"', "", panel))
    # The panel is the same for every wrong code, the message included.
    assert len(set(answers)) == 1
    with app.app_context():
        request = BookingRequest(session_id, "X", "x@example.fr", 1)
        with pytest.raises(GroupCodeInvalid):
            group_holds.book_with_code(group_holds.GroupBookingRequest(request, other_code))
    assert seats(app, session_id) == (5, 15)


@pytest.mark.app_config(RATELIMIT_ENABLED=True, RATELIMIT_GROUP_CODE="3/minute")
def test_trying_codes_is_rate_limited(app, client, make_session):
    session_id = make_session(capacity=20)
    statuses = [client.get(f"/sessions/{session_id}?code=WRONG{n}").status_code for n in range(4)]
    assert statuses == [404, 404, 404, 429]
    assert client.get(f"/sessions/{session_id}").status_code == 200


def test_release_at_its_time_gives_the_rest_back_and_offers_go_to_the_waiting_list(
    app, runner, make_session
):
    session_id = make_session(capacity=10)
    code = hold(app, session_id, 8, hours=1)
    with app.app_context():
        request = BookingRequest(session_id, "Mme L", "l@example.fr", 5)
        group_holds.book_with_code(group_holds.GroupBookingRequest(request, code))
        booking_service.book(BookingRequest(session_id, "A", "a@example.fr", 2))
        waiting = booking_service.join_waitlist(BookingRequest(session_id, "W", "w@example.fr", 3))
        db.session.commit()
        assert waiting.status is BookingStatus.WAITING
    assert seats(app, session_id) == (10, 0)
    # Before its time, the cron leaves it alone.
    result = runner.invoke(args=["process-waitlist"])
    assert "0 group hold(s) released" in result.output
    with app.app_context():
        assert group_holds.release_due(utcnow() + timedelta(hours=2)) == 1
        db.session.commit()
        waiting = db.session.get(Booking, waiting.id)
        assert waiting.status is BookingStatus.OFFERED
        released = db.session.scalar(select(GroupHold))
        assert released.released_at is not None and released.seats_unused == 0
    # 5 of the group, 2 of the public, 3 offered to the waiting party.
    assert seats(app, session_id)[0] == 10
    assert ledger_ok(app)


def test_release_now_by_the_organiser_frees_the_unused_seats(app, make_session):
    session_id = make_session(capacity=10)
    hold(app, session_id, 6)
    with app.app_context():
        made = db.session.scalar(select(GroupHold))
        group_holds.release_now(made.id, actor="organiser@mines-ales.fr")
        db.session.commit()
    assert seats(app, session_id) == (0, 10)
    assert ledger_ok(app)


def test_the_cli_prints_a_code_that_works(app, runner, client, make_session):
    session_id = make_session(capacity=30, starts_in=timedelta(days=3))
    until = (utcnow() + timedelta(days=1)).isoformat()
    result = runner.invoke(
        args=[
            "hold-seats",
            "--session",
            str(session_id),
            "--seats",
            "20",
            "--label",
            "CE2",
            "--until",
            until,
        ]
    )
    assert result.exit_code == 0, result.output
    code = result.output.strip()
    assert len(code) >= 26
    page = client.get(f"/sessions/{session_id}?code={code}")
    assert page.status_code == 200 and "CE2" in page.get_data(as_text=True)
    assert seats(app, session_id) == (20, 10)
    refused = runner.invoke(
        args=[
            "hold-seats",
            "--session",
            str(session_id),
            "--seats",
            "11",
            "--label",
            "CE1",
            "--until",
            until,
        ]
    )
    assert refused.exit_code != 0


def test_two_concurrent_releases_release_once(app, make_session, database_configs):
    session_id = make_session(capacity=10)
    hold(app, session_id, 6, hours=0.01)
    later = utcnow() + timedelta(hours=1)
    barrier = threading.Barrier(2)
    results: list[int] = []

    def run() -> None:
        with app.app_context():
            barrier.wait()
            results.append(group_holds.release_due(later))
            db.session.commit()
            db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results) == [0, 1]
    assert seats(app, session_id) == (0, 10)
    with app.app_context():
        releases = db.session.scalar(
            select(func.count()).where(AuditEntry.action == "group_hold.released")
        )
        assert releases == 1
    assert ledger_ok(app)


def test_the_admin_page_creates_lists_and_releases_a_block(app, organiser, make_session):
    session_id = make_session(capacity=30)
    page = organiser.get(f"/admin/sessions/{session_id}/groups")
    assert page.status_code == 200
    fields = form_fields(page.get_data(as_text=True), f"/admin/sessions/{session_id}/groups")
    bad = organiser.post(
        f"/admin/sessions/{session_id}/groups",
        data={**fields, "label": "CM1", "seats": "31"},
    )
    assert bad.status_code == 409
    assert seats(app, session_id) == (0, 30)
    made = organiser.post(
        f"/admin/sessions/{session_id}/groups",
        data={**fields, "label": "CM1 école Jean-Macé", "seats": "24"},
    )
    assert made.status_code == 303
    listing = organiser.get(f"/admin/sessions/{session_id}/groups").get_data(as_text=True)
    with app.app_context():
        held = db.session.scalar(select(GroupHold))
        assert held.created_by == "organiser@mines-ales.fr"
        code = held.code
    assert group_holds.display_code(code) in listing
    assert f"/sessions/{session_id}?code={code}" in listing
    assert "24 non utilisées" in listing
    assert seats(app, session_id) == (24, 6)
    release = form_fields(listing, f"/admin/groups/{held.id}/release")
    released = organiser.post(f"/admin/groups/{held.id}/release", data=release)
    assert released.status_code == 303
    assert seats(app, session_id) == (0, 30)
    again = organiser.post(f"/admin/groups/{held.id}/release", data=release)
    assert again.status_code == 303
    assert "déjà été rendues" in organiser.get(again.headers["Location"]).get_data(as_text=True)
    assert ledger_ok(app)


@pytest.mark.browser
@pytest.mark.parametrize("app", ["sqlite"], indirect=True)
def test_the_group_pages_pass_axe_at_both_widths(app, live_server, page_factory):
    """The public page with held seats, the group's form, a wrong code, the admin page."""
    import os
    from pathlib import Path

    from .conftest import STAFF_PASSWORD
    from .helpers import a_session_with_a_group_hold
    from .test_accessibility import WIDTHS, axe_violations
    from .test_series import sign_in_organiser

    shots = Path(os.environ.get("SHOTS_DIR", "")) if os.environ.get("SHOTS_DIR") else None
    session_id, code = a_session_with_a_group_hold(app)
    problems: dict[str, list[str]] = {}
    for width in ("phone", "desktop"):
        page = page_factory(*WIDTHS[width])

        def check(name: str, page=page, width=width) -> None:
            found = axe_violations(page)
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            if overflow > 0:
                found.append(f"{overflow} px wider than the screen")
            if found:
                problems[f"{name} ({width})"] = found
            if shots:
                page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)

        page.goto(f"{live_server}/sessions/{session_id}")
        # 25 seats, 18 held for the class: the public sees 7; then (desktop) a club holds 4.
        left = "7" if width == "phone" else "3"
        badge = page.locator(f"#avail-{session_id}").first.inner_text()
        assert re.search(rf"(?<!\d){left}(?!\d)", badge), badge
        check("session-held-seats")
        page.goto(f"{live_server}/sessions/{session_id}?code=NOT-A-CODE")
        check("group-code-refused")
        page.goto(f"{live_server}/sessions/{session_id}?code={code}")
        check("group-form")
        if width == "phone":
            page.get_by_label("Nom et prénom").fill("Mme Lefèvre")
            page.get_by_label("Adresse e-mail").fill("cm2@ecole-jean-mace.fr")
            page.get_by_label("Nombre de places").fill("30")
            page.get_by_role("button", name="Confirmer la réservation du groupe").click()
            page.locator(".field__error").first.wait_for()
            check("group-form-refused")
            page.get_by_label("Nombre de places").fill("16")
            page.get_by_label("Dont adultes accompagnateurs").fill("2")
            page.get_by_role("button", name="Confirmer la réservation du groupe").click()
            page.wait_for_url(re.compile(r"/b/"))
            sign_in_organiser(app, page, live_server)
        else:
            page.goto(f"{live_server}/login")
            page.get_by_label("Adresse e-mail").fill("orga@mines-ales.fr")
            page.get_by_label("Mot de passe").fill(STAFF_PASSWORD)
            page.get_by_role("button", name="Se connecter").click()
            page.wait_for_url(f"{live_server}/admin/")
        page.goto(f"{live_server}/admin/sessions/{session_id}/groups")
        if width == "phone":
            page.get_by_label("Groupe (classe, association…)").fill("Club géologie d’Alès")
            page.get_by_label("Places réservées").fill("4")
            page.get_by_role("button", name="Réserver ces places").click()
            page.wait_for_url(re.compile(r"/groups$"))
        check("admin-groups")
    assert problems == {}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(GroupHold)) == 2
    assert ledger_ok(app)
