"""Accessibility, proven in Debian's Chromium: axe-core, keyboard only, no JavaScript, weight.

axe-core comes from the npm registry (``make install`` runs ``npm ci``) and is injected
through the DevTools protocol, which the pages' strict CSP does not apply to. The page
markup does not depend on the database, so these tests run on SQLite only; booking on
PostgreSQL is covered by the other suites.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.models import EventSession, Role
from app.services import booking as booking_service
from app.services import checkin
from app.services.accounts import create_user
from app.timeutil import utcnow

from .conftest import STAFF_PASSWORD
from .helpers import (
    a_booking_that_can_move,
    demo_party_on_several,
    demo_with_a_queue,
    leave_one_seat,
    session_of,
    take_the_last_seats,
)

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("app", ["sqlite"], indirect=True)]

ROOT = Path(__file__).resolve().parent.parent
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WIDTHS = {"phone": (390, 844), "desktop": (1280, 900)}
STAFF_EMAIL = "porte@mines-ales.fr"


def axe_violations(page) -> list[str]:
    """Run axe-core on the page as it stands; return one line per violated rule."""
    assert AXE_SCRIPT.exists(), "run 'make install' (npm ci installs axe-core)"
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SCRIPT.read_text())
    result = page.evaluate(
        """tags => axe.run(document, {
            runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})""",
        WCAG_TAGS,
    )
    return [
        f"{rule['id']} ({rule['impact']}): {rule['help']} at "
        + ", ".join(" ".join(node["target"]) for node in rule["nodes"][:4])
        for rule in result["violations"]
    ]


SMALL_TARGETS = """() => {
  const controls = document.querySelectorAll(
    'button, select, textarea, summary, input:not([type=hidden]), a.button, nav a, .skip-link');
  return Array.from(controls).filter(el => {
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) return false;   // not shown
    if (el.matches('.skip-link') && document.activeElement !== el) return false;
    return box.height < 44 || box.width < 44;
  }).map(el => el.outerHTML.slice(0, 90) + ' ' + Math.round(el.getBoundingClientRect().width)
          + 'x' + Math.round(el.getBoundingClientRect().height));
}"""


@dataclass
class Pages:
    """Addresses of every page the public and the door staff use, with real data behind."""

    paths: dict[str, str]
    open_session: int


def door_after_the_close(app, data: dict) -> int:
    """A session whose booking has closed, as its door sees it (docs/door.md).

    Booked full by Paul Langevin's party of 3; Grace Hopper (2) and Emmy Noether (1) on the
    waiting list. At the door: Emmy Noether, second on the list, on the standby queue ahead of
    the Dupont family of 3 who came without a booking (passed over twice: the seats are held for
    it); Grace Hopper is offered her place on the queue.
    """
    with app.app_context():
        session = db.session.scalars(
            db.select(EventSession)
            .where(EventSession.id.not_in([data["open"], data["full"]]))
            # The last one: the first sessions of the programme stay open for the other tests.
            .order_by(EventSession.starts_at.desc(), EventSession.id.desc())
        ).first()
        session.capacity = 3
        db.session.commit()

        def request(name: str, seats: int) -> booking_service.BookingRequest:
            email = f"{name.split()[0].lower()}@example.fr"
            return booking_service.BookingRequest(session.id, name, email, seats)

        booking_service.book(request("Paul Langevin", 3))
        booking_service.join_waitlist(request("Grace Hopper", 2))
        emmy = booking_service.join_waitlist(request("Emmy Noether", 1))
        db.session.commit()
        session = db.session.get(EventSession, session.id)
        session.booking_closes_at = utcnow() - timedelta(minutes=5)
        db.session.commit()
        family = checkin.add_standby(session.id, 3, "Famille Dupont", actor=STAFF_EMAIL)
        family.passed_over = 2
        checkin.join_standby(session.id, emmy.id, actor=STAFF_EMAIL)
        db.session.commit()
        return session.id


@pytest.fixture
def pages(app, runner) -> Pages:
    """The demo programme, a confirmed booking, a waiting party, an offer and a door account."""
    data = demo_with_a_queue(app, runner)
    closed = door_after_the_close(app, data)
    several_full, several = demo_party_on_several(app)
    with app.app_context():
        create_user(STAFF_EMAIL, Role.CHECKIN, STAFF_PASSWORD, "Porte")
        db.session.commit()
        paths = {
            "programme": "/",
            "session": f"/sessions/{data['open']}",
            "full session (waiting list)": f"/sessions/{data['full']}",
            "booking": f"/b/{data['token']}",
            "cancel step": f"/b/{data['token']}/cancel",
            "can't come (reminder link)": f"/b/{data['token']}/cant-come",
            "waiting-list booking": f"/b/{data['waiting_token']}",
            "waiting-list offer": f"/b/{data['offer_token']}/accept",
            "full session with other sessions": f"/sessions/{several_full}",
            "waiting on several sessions": f"/b/{several}",
            "offer on another session": f"/b/{several}/accept",
            "login": "/login",
            "error page": "/sessions/999999",
            "privacy": "/privacy",
            "gallery": "/collection/",
            "gallery: search": "/collection/?q=cevennes&category=ore",
            "gallery: specimen": "/collection/MA-MNR-0001",
            "check-in: sessions": "/checkin/",
            "check-in: door list": f"/checkin/sessions/{data['open']}",
            "check-in: the waiting list at the door": f"/checkin/sessions/{closed}",
        }
    return Pages(paths, int(data["open"]))


def sign_in(page, base_url: str) -> None:
    """Sign the door account in through the real login form."""
    page.goto(f"{base_url}/login")
    page.get_by_label("Adresse e-mail").fill(STAFF_EMAIL)
    page.get_by_label("Mot de passe").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(re.compile(r"/checkin/?$"))


@pytest.mark.parametrize("width", list(WIDTHS))
def test_every_public_and_door_page_passes_axe(pages, live_server, page_factory, width):
    """No WCAG 2.1 A/AA violation, tap targets of 44 px or more, no sideways scrolling."""
    page = page_factory(*WIDTHS[width])
    problems: dict[str, list[str]] = {}
    for name, path in pages.paths.items():
        if name.startswith("check-in") and "checkin" not in page.url:
            sign_in(page, live_server)
        page.goto(f"{live_server}{path}")
        found = axe_violations(page)
        small = page.evaluate(SMALL_TARGETS)
        # Nothing wider than the screen: no sideways scrolling on a phone (WCAG 1.4.10).
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if found or small or overflow > 0:
            problems[name] = found + [f"tap target under 44 px: {s}" for s in small]
            if overflow > 0:
                problems[name].append(f"{overflow} px wider than the screen")
    assert problems == {}


def test_a_form_with_errors_passes_axe_and_keeps_what_was_typed(pages, live_server, page_factory):
    """Errors are tied to their fields, announced, and nothing typed is lost."""
    page = page_factory(*WIDTHS["phone"])
    page.goto(f"{live_server}{pages.paths['session']}")
    page.get_by_label("Nom et prénom").fill("Marie Curie")
    page.get_by_label("Adresse e-mail").fill("pas-une-adresse")
    page.get_by_label("Nombre de places").fill("0")
    page.get_by_role("button", name="Confirmer la réservation").click()
    email = page.get_by_label("Adresse e-mail")
    expect(email).to_have_attribute("aria-invalid", "true")
    described_by = email.get_attribute("aria-describedby") or ""
    messages = " ".join(
        page.locator(f"[id='{ident}']").inner_text() for ident in described_by.split()
    )
    assert "adresse e-mail" in messages.lower()
    expect(page.get_by_label("Nom et prénom")).to_have_value("Marie Curie")
    expect(email).to_have_value("pas-une-adresse")
    assert axe_violations(page) == []


def test_the_reduce_form_refused_passes_axe(app, pages, live_server, page_factory):
    """A refused change of size is tied to its field, or (no field) announced above the form."""
    page = page_factory(*WIDTHS["phone"])
    page.goto(f"{live_server}{pages.paths['booking']}")
    seats = page.get_by_label("Nouveau nombre de places")
    seats.fill("7")  # more than one booking may hold
    page.locator("form.resize button[type=submit]").click()
    seats = page.get_by_label("Nouveau nombre de places")
    expect(seats).to_have_attribute("aria-invalid", "true")
    assert axe_violations(page) == []

    with app.app_context():  # the session starts while the page is open
        session = db.session.get(EventSession, pages.open_session)
        session.starts_at = utcnow() - timedelta(minutes=5)
        db.session.commit()
    seats.fill("1")
    page.locator("form.resize button[type=submit]").click()
    expect(page.locator("form.resize [role=alert]")).to_contain_text("La séance a commencé")
    assert axe_violations(page) == []


def test_the_change_of_plans_refused_with_the_offer_to_wait_passes_axe(
    app, pages, live_server, page_factory
):
    """A move or a bigger party refused for room: the reason by its field, the offer to wait."""
    token, target = a_booking_that_can_move(app)
    page = page_factory(*WIDTHS["phone"])
    page.goto(f"{live_server}/b/{token}")
    assert axe_violations(page) == []  # the move form, its live seats, the size both ways
    leave_one_seat(app, target)
    leave_one_seat(app, session_of(app, token), others=2)
    page.locator(f"input[name=session_id][value='{target}']").check()
    page.get_by_role("button", name="Déplacer ma réservation").click()
    expect(page.locator("#move-error")).to_contain_text("Il ne reste qu’une place")
    expect(page.get_by_role("button", name="Attendre une place à cette séance")).to_be_visible()
    assert axe_violations(page) == []

    page.get_by_label("Nouveau nombre de places").fill("4")
    page.locator("form.resize button[type=submit]").click()
    expect(page.get_by_label("Nouveau nombre de places")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("button", name="Attendre les places en plus")).to_be_visible()
    assert axe_violations(page) == []

    take_the_last_seats(app, target)  # a full session's page points to the times with seats
    page.goto(f"{live_server}/sessions/{target}")
    expect(page.get_by_role("heading", name="Il reste des places à ces horaires")).to_be_visible()
    assert axe_violations(page) == []


def focused(page) -> dict:
    """What has the keyboard focus, and whether it shows."""
    return page.evaluate(
        """() => {
          const el = document.activeElement;
          const style = getComputedStyle(el);
          return {tag: el.tagName, text: (el.innerText || el.value || '').trim(),
                  href: el.getAttribute('href') || '', name: el.getAttribute('name') || '',
                  outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2};
        }"""
    )


def tab_to(page, matches, limit: int = 80) -> dict:
    """Press Tab until the focused element satisfies ``matches``; fail after ``limit``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        element = focused(page)
        if matches(element):
            assert element["outline"], f"no visible focus on {element}"
            return element
    raise AssertionError("never reached by Tab")


def test_book_and_cancel_with_the_keyboard_alone(pages, live_server, page_factory):
    """Find a session, book it, open the booking and cancel it, keys only, focus always visible."""
    page = page_factory(*WIDTHS["desktop"])
    session_path = pages.paths["session"]
    page.goto(f"{live_server}/")

    page.keyboard.press("Tab")
    assert focused(page)["href"] == "#main"  # the skip link comes first
    page.keyboard.press("Enter")
    tab_to(page, lambda el: el["href"] == session_path)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server}{session_path}")

    tab_to(page, lambda el: el["name"] == "name")
    page.keyboard.type("Irène Joliot-Curie")
    page.keyboard.press("Tab")
    page.keyboard.type("irene@example.fr")
    page.keyboard.press("Tab")
    page.keyboard.press("Control+A")
    page.keyboard.type("2")
    tab_to(page, lambda el: el["tag"] == "BUTTON" and "Confirmer" in el["text"])
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=re.compile("C’est réservé"))).to_be_visible()

    page.goto(page.url)  # "open the booking": its own page, from the link kept
    tab_to(page, lambda el: "Annuler" in el["text"])
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/cancel$"))
    tab_to(page, lambda el: el["tag"] == "BUTTON" and "annul" in el["text"].lower())
    page.keyboard.press("Enter")
    expect(page.locator(".status")).to_have_text("Annulée")


def test_book_and_cancel_with_javascript_disabled(pages, live_server, page_factory):
    """Plain form posts and redirects do everything htmx does."""
    page = page_factory(*WIDTHS["phone"], java_script_enabled=False)
    page.goto(f"{live_server}{pages.paths['session']}")
    page.get_by_label("Nom et prénom").fill("Marie Curie")
    page.get_by_label("Adresse e-mail").fill("pas-une-adresse")
    page.get_by_role("button", name="Confirmer la réservation").click()
    expect(page.get_by_text("Vérifiez les champs signalés ci-dessous.")).to_be_visible()
    page.get_by_label("Adresse e-mail").fill("marie.sklodowska@example.fr")
    page.get_by_role("button", name="Confirmer la réservation").click()
    expect(page).to_have_url(re.compile(r"/b/[A-Za-z0-9_-]{43}$"))
    expect(page.get_by_text("C’est réservé !", exact=False).first).to_be_visible()
    expect(page.locator(".status")).to_have_text("Confirmée")

    page.get_by_role("link", name=re.compile("Annuler")).first.click()
    page.get_by_role("button", name=re.compile("annul", re.IGNORECASE)).click()
    expect(page.locator(".status")).to_have_text("Annulée")


def test_english_from_the_switch_to_the_confirmation_mail(pages, live_server, page_factory, smtp):
    """The switch keeps the page, the choice sticks, and the mail speaks the booker's language."""
    page = page_factory(*WIDTHS["phone"])
    page.goto(f"{live_server}/?kind=visit")
    page.get_by_role("link", name="English").click()
    expect(page).to_have_url(f"{live_server}/?kind=visit")  # the same page, filter kept
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("link", name="Guided visits")).to_be_visible()
    assert axe_violations(page) == []

    page.locator(".card__title a").first.click()
    expect(page).to_have_url(re.compile(r"/sessions/\d+$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")  # remembered
    page.get_by_label("Full name").fill("Dorothy Hodgkin")
    page.get_by_label("Email address").fill("dorothy@example.org")
    page.get_by_role("button", name="Confirm booking").click()
    expect(page.get_by_role("heading", name=re.compile("booked", re.IGNORECASE))).to_be_visible()

    mail = smtp.wait_for_mail("dorothy@example.org", "Booking confirmed")
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Hello Dorothy Hodgkin" in text and "confirm your booking" in text
    assert "Bonjour" not in text and "réservation" not in text.lower()


def test_the_programme_page_stays_within_its_weight_budget(pages, live_server, page_factory):
    """At most 6 requests and 100 KB transferred, compressed, for the whole week's programme."""
    page = page_factory(*WIDTHS["phone"])
    transfers: list[tuple[str, int]] = []

    def on_finished(request) -> None:
        """Count what crossed the wire for the page itself (not the live poll that follows)."""
        if "/live/seats" in request.url:
            return
        sizes = request.sizes()
        transfers.append((request.url, sizes["responseBodySize"] + sizes["responseHeadersSize"]))

    page.on("requestfinished", on_finished)
    page.goto(f"{live_server}/", wait_until="load")
    page.wait_for_timeout(300)
    total = sum(size for _url, size in transfers)
    report = ", ".join(f"{url.removeprefix(live_server)} {size} B" for url, size in transfers)
    print(f"\nprogramme page: {len(transfers)} requests, {total} bytes: {report}")
    assert len(transfers) <= 6, report
    assert total <= 100 * 1024, report
    assert page.locator(".session-card, .card").count() >= 20  # the whole week was there


def test_a_seat_change_is_announced_once_politely_without_moving_focus(
    app, make_session, live_server, page_factory
):
    """Screen-reader users hear a real change once; what they were on keeps the focus."""
    session_id = make_session(capacity=10, title="Film du midi")
    page = page_factory(*WIDTHS["desktop"])
    page.goto(f"{live_server}/")
    announcer = page.locator("#live-announcer")
    expect(announcer).to_have_attribute("aria-live", "polite")
    page.evaluate(
        """() => {
          window.__announcements = [];
          new MutationObserver(() => window.__announcements.push(
              document.getElementById('live-announcer').textContent)
          ).observe(document.getElementById('live-announcer'),
                    {childList: true, characterData: true, subtree: true});
        }"""
    )
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    focus_before = page.evaluate("document.activeElement.outerHTML")
    page.wait_for_timeout(2200)  # polls with nothing new: nothing said
    assert page.evaluate("window.__announcements") == []

    with app.app_context():
        booking_service.book(booking_service.BookingRequest(session_id, "Ada", "ada@example.fr", 3))
        db.session.commit()
    expect(announcer).to_contain_text("Film du midi", timeout=8000)
    expect(announcer).to_contain_text("7 places")
    page.wait_for_timeout(2500)  # more polls: the same news is not repeated
    assert len(page.evaluate("window.__announcements")) == 1
    assert page.evaluate("document.activeElement.outerHTML") == focus_before


def test_a_booking_form_with_questions_passes_axe_with_its_errors(
    app, pages, live_server, page_factory
):
    """The event's own questions: labelled, their errors tied to them, nothing typed lost."""
    from app.models import QuestionKind
    from app.services import questions

    with app.app_context():
        event_id = db.session.get(EventSession, pages.open_session).event_id
        for kind, label, required, choices in (
            (
                QuestionKind.CHOICE,
                "Pointure pour les chaussures prêtées",
                True,
                "36-38\n39-41\n42-44",
            ),
            (QuestionKind.YES_NO, "Repas végétarien", True, ""),
            (QuestionKind.TEXT, "Remarque pour le guide", False, ""),
        ):
            questions.add_question(
                event_id,
                questions.QuestionFields(kind, label, required=required, choices_fr=choices),
                actor="setup",
            )
        db.session.commit()
    shots = ROOT / "screenshots"
    shots.mkdir(exist_ok=True)
    page = page_factory(*WIDTHS["phone"])
    page.goto(f"{live_server}{pages.paths['session']}")
    assert axe_violations(page) == []
    assert page.evaluate(SMALL_TARGETS) == []
    page.locator("#booking-panel").screenshot(path=str(shots / "booking-questions-390.png"))
    page.get_by_label("Nom et prénom").fill("Hélène Müller")
    page.get_by_label("Adresse e-mail").fill("helene@example.fr")
    page.get_by_label("Remarque pour le guide (facultatif)").fill("Genou fragile")
    page.get_by_role("radio", name="Oui").check()
    page.get_by_role("button", name="Confirmer la réservation").click()
    size = page.get_by_role("group", name="Pointure pour les chaussures prêtées")
    expect(size).to_have_attribute("aria-describedby", re.compile("error"))
    expect(size).to_contain_text("Répondez à cette question.")
    expect(page.get_by_label("Remarque pour le guide (facultatif)")).to_have_value("Genou fragile")
    expect(page.get_by_role("radio", name="Oui")).to_be_checked()
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    page.locator("#booking-panel").screenshot(path=str(shots / "booking-questions-error-390.png"))


def test_a_bad_day_preview_its_mail_and_the_mail_link_page_pass_axe(
    app, runner, live_server, page_factory
):
    """The organiser's preview of a bad day, the mail it sends and the page its link opens.

    The pages and the mail's HTML part are kept in ``screenshots/`` to be looked at.
    """
    from app.models import Booking, OutboxMessage
    from app.services import bad_day
    from app.services.mail import render_message
    from app.timeutil import paris

    shots = ROOT / "screenshots"
    shots.mkdir(exist_ok=True)
    data = demo_with_a_queue(app, runner)
    with app.app_context():
        create_user("orga@mines-ales.fr", Role.ORGANISER, STAFF_PASSWORD, "Orga")
        db.session.commit()
        # An event on several days: Irène Joliot's party booked on its first day, which is
        # cancelled; its other days have room.
        sessions = db.session.scalars(
            db.select(EventSession).order_by(EventSession.starts_at, EventSession.id)
        ).all()
        booked = next(
            s
            for s in sessions
            if s.seats_left >= 2
            and s.id != data["open"]
            and len({paris(o.starts_at).date() for o in s.event.sessions}) > 1
        )
        day, event_id = paris(booked.starts_at).date(), booked.event_id
        booking_service.book(
            booking_service.BookingRequest(booked.id, "Irène Joliot", "irene@example.fr", 2)
        )
        db.session.commit()
    page = page_factory(1280, 900)
    page.goto(f"{live_server}/login")
    page.get_by_label("Adresse e-mail").fill("orga@mines-ales.fr")
    page.get_by_label("Mot de passe").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.goto(f"{live_server}/admin/")
    page.screenshot(path=str(shots / "bad-day-overview.png"))
    page.goto(f"{live_server}/admin/cancel-day")
    assert axe_violations(page) == []
    page.get_by_label("Jour").fill(day.isoformat())
    page.get_by_label("Activité").select_option(str(event_id))
    page.get_by_role("button", name="Voir l’aperçu").click()
    expect(page.get_by_role("heading", name="Aperçu")).to_be_visible()
    page.get_by_label("Message aux personnes prévenues (facultatif)").fill(
        "Orage annoncé l’après-midi : nous préférons annuler. Toutes nos excuses."
    )
    page.screenshot(path=str(shots / "bad-day-preview.png"), full_page=True)
    assert axe_violations(page) == []
    page.get_by_role("button", name=re.compile("^Oui, annuler")).click()
    expect(page.locator(".notice--success, .flash--success").first).to_be_visible()

    with app.app_context():
        message = db.session.scalars(
            db.select(OutboxMessage).where(
                OutboxMessage.kind == bad_day.MAIL_KIND,
                OutboxMessage.recipient == "irene@example.fr",
            )
        ).one()
        booking = db.session.get(Booking, message.booking_id)
        html = render_message(message.kind, booking, **message.context)["body_html"]
        token = booking.token
        targets = [s.id for s in booking_service_targets(booking)]
    mail = page_factory(700, 900)
    mail.set_content(html)
    mail.screenshot(path=str(shots / "bad-day-mail.png"), full_page=True)
    assert targets, "the demo event has another session with room"

    visitor = page_factory(*WIDTHS["phone"])
    visitor.goto(f"{live_server}/b/{token}")  # the booking's page has the same links
    assert axe_violations(visitor) == []
    visitor.goto(f"{live_server}/b/{token}/rebook/{targets[0]}")
    visitor.screenshot(path=str(shots / "bad-day-rebook.png"), full_page=True)
    assert axe_violations(visitor) == []
    visitor.get_by_role("button", name="Réserver cette séance").click()
    expect(visitor.get_by_text("C’est fait")).to_be_visible()
    assert axe_violations(visitor) == []


def booking_service_targets(booking):
    """The sessions the cancelled booking's mail offers."""
    from app.services import plan_changes

    return plan_changes.rebook_targets(booking)
