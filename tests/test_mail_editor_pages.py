"""The mail editor's pages: axe finds no violation, the Nu checker no error, and the
screenshots of the editor with its preview in both languages (1280 px) are kept."""

from __future__ import annotations

import json
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from app.extensions import db
from app.models import EventSession, Role
from app.services import booking as booking_service
from app.services.accounts import create_user
from app.services.reminders import add_rule

from .conftest import STAFF_PASSWORD
from .test_accessibility import axe_violations
from .test_html_validity import FRAGMENT_PAGE, fetch, vnu  # noqa: F401  (a fixture)

SHOTS = Path("/tmp/shots/h19a")
EMAIL = "herve@mines-ales.fr"


@pytest.fixture
def hike(app, make_session):
    """A hike with practical details, a reminder rule and a French booking."""
    session_id = make_session(title="Randonnée à Vialas", starts_in=timedelta(days=3))
    with app.app_context():
        event = db.session.get(EventSession, session_id).event
        event.meeting_point = "Parking de la mairie de Vialas, 9 h 30"
        event.meeting_point_en = "Vialas town hall car park, 9:30 am"
        event.what_to_bring = "Chaussures de marche, eau, pique-nique"
        add_rule(event.id, 2 * 24 * 60, actor=EMAIL)
        booking_service.book(
            booking_service.BookingRequest(session_id, "Marie Curie", "marie@example.fr", 2)
        )
        create_user(EMAIL, Role.ORGANISER, STAFF_PASSWORD, "Hervé")
        db.session.commit()
        return {"session": session_id, "event": event.id}


@pytest.mark.parametrize("app", ["sqlite"], indirect=True)
def test_the_editor_pages_pass_the_nu_checker(app, client, staff_login, vnu, hike, tmp_path):  # noqa: F811
    organiser = staff_login(client, "organiser", "nu@mines-ales.fr")
    event = hike["event"]
    pages = {
        "week": fetch(organiser, "/admin/mails"),
        "week-kind": fetch(organiser, "/admin/mails/reminder"),
        "event": fetch(organiser, f"/admin/events/{event}/mails"),
        "event-kind": fetch(organiser, f"/admin/events/{event}/mails/confirmed"),
        "messages": fetch(organiser, f"/admin/messages?session={hike['session']}"),
        "session": fetch(organiser, f"/sessions/{hike['session']}"),
    }
    token = client.get(f"/admin/events/{event}/mails/offer").get_data(as_text=True)
    csrf = token.split('name="csrf_token" type="hidden" value="')[-1].split('"')[0]
    refused = organiser.post(
        f"/admin/events/{event}/mails/offer",
        data={"csrf_token": csrf, "action": "save", "subject_fr": "{nom}", "body_fr": "x"},
    )
    assert refused.status_code == 422
    pages["event-kind-refused"] = refused.get_data(as_text=True)
    fragment = organiser.post(
        f"/admin/events/{event}/mails/offer",
        data={"csrf_token": csrf, "action": "preview", "body_fr": "Bonjour"},
        headers={"HX-Request": "true"},
    )
    pages["preview-fragment"] = FRAGMENT_PAGE.format(fragment.get_data(as_text=True))
    files = []
    for name, html in pages.items():
        path = tmp_path / f"{name}.html"
        path.write_text(html, encoding="utf-8")
        files.append(str(path))
    run = subprocess.run([*vnu, *files], capture_output=True, text=True, timeout=240, check=False)
    messages = json.loads(run.stdout)["messages"]
    errors = [
        f"{Path(m.get('url', '')).stem}:{m.get('lastLine')}: {m['message']}"
        for m in messages
        if m["type"] != "info"
    ]
    assert not errors, "\n".join(errors)


def sign_in(page, base_url: str) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("Adresse e-mail").fill(EMAIL)
    page.get_by_label("Mot de passe").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()


@pytest.mark.parametrize("app", ["sqlite"], indirect=True)
def test_the_editor_and_its_live_preview_pass_axe(app, hike, live_server, page_factory):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = page_factory(1280, 900)
    sign_in(page, live_server)
    problems = {}
    for name, path in {
        "event": f"/admin/events/{hike['event']}/mails",
        "week": "/admin/mails/confirmed",
        "messages": f"/admin/messages?session={hike['session']}",
    }.items():
        page.goto(f"{live_server}{path}")
        problems[name] = axe_violations(page)
    page.goto(f"{live_server}/admin/events/{hike['event']}/mails/confirmed")
    page.get_by_label("Texte (français)").fill(
        "Rendez-vous {meeting_point}, {name}.\n\nPrévoyez {what_to_bring}."
    )
    page.get_by_label("Texte (anglais)").fill("Meet at {meeting_point}, {name}.")
    # The preview follows the typing (HTMX), in both languages, with the booking's values.
    preview = page.locator("#mail-preview")
    preview.get_by_text("Meet at Vialas town hall car park, 9:30 am, Marie Curie.").wait_for()
    assert "Rendez-vous Parking de la mairie de Vialas, 9 h 30, Marie Curie." in (
        preview.inner_text()
    )
    problems["editor"] = axe_violations(page)
    page.screenshot(path=str(SHOTS / "mail-editor-1280.png"), full_page=True)
    page.get_by_label("Objet (français)").fill("Votre place pour {nom}")
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_text("n’est pas un champ connu").first.wait_for()
    problems["refused"] = axe_violations(page)
    page.screenshot(path=str(SHOTS / "mail-editor-refused-1280.png"), full_page=True)
    assert {name: found for name, found in problems.items() if found} == {}
