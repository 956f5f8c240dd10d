"""Real browser: Debian's Chromium driven by Playwright against the served app."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


EXPECTED_STATUSES = ("status of 409", "status of 422")


def collect_errors(page) -> list[str]:
    """Console errors and CSP violations seen by a page.

    Chrome also logs every 4xx answer as an error; the 409 and 422 that carry form
    messages back to htmx are part of the design, so they are left out.
    """
    errors: list[str] = []

    def on_console(message) -> None:
        """Keep real errors."""
        if message.type == "error" and not any(s in message.text for s in EXPECTED_STATUSES):
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def test_booking_in_one_page_updates_the_count_in_another_without_reload(
    make_session, live_server, page_factory
):
    session_id = make_session(capacity=10, title="Exposition commentée")
    watcher = page_factory(width=1024, height=800)
    watcher_errors = collect_errors(watcher)
    watcher.goto(f"{live_server}/")
    badge = watcher.locator(f"#avail-{session_id} .avail__label")
    expect(badge).to_have_text("10 places")
    watcher.evaluate("window.__sameDocument = true")

    booker = page_factory(width=390, height=844)
    booker_errors = collect_errors(booker)
    booker.goto(f"{live_server}/sessions/{session_id}")
    booker.get_by_label("Nom et prénom").fill("Marie Curie")
    booker.get_by_label("Adresse e-mail").fill("marie@example.fr")
    booker.get_by_label("Nombre de places").fill("3")
    booker.get_by_role("button", name="Confirmer la réservation").click()

    expect(booker.get_by_role("heading", name=re.compile("C’est réservé"))).to_be_visible()
    expect(booker).to_have_url(re.compile(r"/b/[A-Za-z0-9_-]{43}$"))
    expect(booker.locator(".ticket__code")).to_have_text(re.compile(r"^[A-Z2-9]{4}-[A-Z2-9]{4}$"))
    qr = booker.get_by_role("img", name=re.compile("QR code du billet"))
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")  # the SVG really decodes

    expect(badge).to_have_text("7 places", timeout=8000)
    assert watcher.evaluate("window.__sameDocument") is True  # updated in place, not reloaded
    assert watcher_errors == [] and booker_errors == []


def test_booking_errors_come_back_next_to_the_field(make_session, live_server, page_factory):
    session_id = make_session(capacity=2)
    page = page_factory(width=768, height=1024)
    errors = collect_errors(page)
    page.goto(f"{live_server}/sessions/{session_id}")
    page.get_by_label("Nom et prénom").fill("Pierre")
    page.get_by_label("Adresse e-mail").fill("pas-une-adresse")
    page.get_by_label("Nombre de places").fill("2")
    page.get_by_role("button", name="Confirmer la réservation").click()
    email = page.get_by_label("Adresse e-mail")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#email-error")).to_contain_text("n’est pas valide")
    expect(page.get_by_label("Nom et prénom")).to_have_value("Pierre")
    assert errors == []


def test_a_booking_sent_offline_says_so_in_the_page_language(
    make_session, live_server, page_factory
):
    session_id = make_session(capacity=5)
    page = page_factory(width=1024, height=800)
    page.goto(f"{live_server}/sessions/{session_id}")
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.locator("input[name=name]").fill("Ada Lovelace")
    page.locator("input[name=email]").fill("ada@example.org")
    page.context.set_offline(True)
    page.locator("button[value=book]").click()
    banner = page.locator("#connection-banner")
    expect(banner).to_be_visible()
    expect(banner).to_have_text(
        "Connection lost: nothing was sent. Check the network and try again."
    )


def test_waiting_list_offer_by_mail_accepted_in_the_browser(
    app, make_session, live_server, page_factory, smtp
):
    """Full session; a visitor waits; a seat frees; the mailed link is accepted; counts stay right."""
    import requests

    from app.extensions import db
    from app.services import booking as booking_service

    from .helpers import form_fields

    session_id = make_session(capacity=1, title="Exposition commentée")
    with app.app_context():
        first = booking_service.book(
            booking_service.BookingRequest(session_id, "Anne", "anne@example.fr", 1)
        )
        db.session.commit()
        first_token = first.token

    programme = page_factory(width=1024, height=800)
    programme_errors = collect_errors(programme)
    programme.goto(f"{live_server}/")
    badge = programme.locator(f"#avail-{session_id} .avail__label")
    expect(badge).to_have_text("Complet – liste d’attente")

    visitor = page_factory(width=390, height=844)
    visitor_errors = collect_errors(visitor)
    visitor.goto(f"{live_server}/sessions/{session_id}")
    visitor.get_by_label("Nom et prénom").fill("Lise Meitner")
    visitor.get_by_label("Adresse e-mail").fill("lise@example.fr")
    visitor.get_by_role("button", name="Rejoindre la liste d’attente").click()
    expect(visitor.get_by_role("heading", name="Vous êtes sur la liste d’attente")).to_be_visible()

    http = requests.Session()
    cancel_url = f"{live_server}/b/{first_token}/cancel"
    fields = form_fields(http.get(cancel_url, timeout=10).text)
    assert http.post(cancel_url, data=fields, allow_redirects=False, timeout=10).status_code == 303

    offer = smtp.wait_for_mail("lise@example.fr", "Des places se libèrent")
    text = offer.get_body(preferencelist=("plain",)).get_content()
    accept_url = next(word for word in text.split() if word.endswith("/accept"))
    assert accept_url.startswith(live_server)

    programme.wait_for_timeout(2500)  # two polls: the freed seat is held for Lise, not sold
    expect(badge).to_have_text("Complet – liste d’attente")

    visitor.goto(accept_url)
    visitor.get_by_role("button", name="Oui, je confirme mes places").click()
    expect(visitor.locator(".status")).to_have_text("Confirmée")
    expect(visitor.locator(".ticket__code")).to_be_visible()
    expect(visitor.get_by_role("img", name=re.compile("QR code du billet"))).to_be_visible()

    programme.wait_for_timeout(1500)
    expect(badge).to_have_text("Complet – liste d’attente")
    assert programme_errors == [] and visitor_errors == []


def sign_in(page, live_server, email, password):
    """Sign in through the real login form."""
    page.goto(f"{live_server}/login")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()


def test_door_tablet_search_check_in_undo_walk_in_and_a_second_tablet_follows(
    app, make_session, live_server, page_factory
):
    from datetime import timedelta

    from app.extensions import db
    from app.models import Role
    from app.services import booking as booking_service
    from app.services.accounts import create_user

    from .conftest import STAFF_PASSWORD

    session_id = make_session(
        capacity=8, starts_in=timedelta(minutes=20), title="Exposition commentée"
    )
    with app.app_context():
        for name, seats in (("Marie Curie", 2), ("Jean Moulin", 1)):
            booking_service.book(
                booking_service.BookingRequest(
                    session_id, name, "x@example.fr", seats, by_organiser=True
                )
            )
        create_user("door1@mines-ales.fr", Role.CHECKIN, STAFF_PASSWORD)
        create_user("door2@mines-ales.fr", Role.CHECKIN, STAFF_PASSWORD)
        db.session.commit()

    tablet = page_factory(width=768, height=1024, has_touch=True)
    errors = collect_errors(tablet)
    sign_in(tablet, live_server, "door1@mines-ales.fr", STAFF_PASSWORD)
    tablet.goto(f"{live_server}/checkin/sessions/{session_id}")
    other = page_factory(width=1024, height=768, has_touch=True)
    sign_in(other, live_server, "door2@mines-ales.fr", STAFF_PASSWORD)
    other.goto(f"{live_server}/checkin/sessions/{session_id}")
    arrived_elsewhere = other.locator("#counters li").nth(1).locator(".door-counters__value")
    expect(arrived_elsewhere).to_have_text("0")

    tablet.get_by_label("Nom ou code du billet").press_sequentially("curie", delay=30)
    expect(tablet.locator(".door-row")).to_have_count(1)
    expect(tablet.locator(".door-row__name")).to_have_text("Marie Curie")
    tablet.get_by_role("button", name=re.compile("Entrée \\(2\\)")).click()
    expect(tablet.locator("#door-result")).to_contain_text("Marie Curie, 2 places")
    expect(arrived_elsewhere).to_have_text("2", timeout=8000)  # the other tablet follows

    tablet.get_by_role("button", name=re.compile("Annuler l’entrée")).click()
    expect(tablet.locator("#door-result")).to_contain_text("Entrée annulée")
    expect(arrived_elsewhere).to_have_text("0", timeout=8000)

    tablet.get_by_label("Places", exact=True).first.fill("3")
    tablet.get_by_role("button", name="Faire entrer").click()
    expect(tablet.locator("#door-result")).to_contain_text("Sans réservation, 3 places")
    expect(other.locator("#counters li").nth(3).locator(".door-counters__value")).to_have_text(
        "2", timeout=8000
    )  # 8 - 3 - 3

    for button in tablet.locator(".door-button").all():
        if button.is_visible():
            box = button.bounding_box()
            assert box["height"] >= 44 and box["width"] >= 44  # touch targets
    assert errors == []


def test_the_tablet_camera_reads_a_ticket_qr_code(
    app, make_session, live_server, playwright_driver, tmp_path
):
    """Chromium's fake camera shows a ticket's QR code; the page decodes it and checks the party in."""
    from datetime import timedelta

    from app.extensions import db
    from app.models import Role
    from app.services import booking as booking_service
    from app.services.accounts import create_user

    from .conftest import CHROMIUM, CHROMIUM_ARGS, STAFF_PASSWORD
    from .fake_camera import qr_video

    session_id = make_session(capacity=8, starts_in=timedelta(minutes=20))
    with app.app_context():
        booking = booking_service.book(
            booking_service.BookingRequest(
                session_id, "Lise Meitner", "l@example.fr", 2, by_organiser=True
            )
        )
        create_user("camera@mines-ales.fr", Role.CHECKIN, STAFF_PASSWORD)
        db.session.commit()
        code = booking.ticket_code
    video = qr_video(code, tmp_path / "ticket.y4m")
    browser = playwright_driver.chromium.launch(
        executable_path=CHROMIUM,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    try:
        context = browser.new_context(
            viewport={"width": 768, "height": 1024}, locale="fr-FR", permissions=["camera"]
        )
        page = context.new_page()
        errors = collect_errors(page)
        sign_in(page, live_server, "camera@mines-ales.fr", STAFF_PASSWORD)
        page.goto(f"{live_server}/checkin/sessions/{session_id}")
        page.get_by_role("button", name="Scanner avec la caméra").click()
        expect(page.locator("#door-result")).to_contain_text(
            "Lise Meitner, 2 places", timeout=15000
        )
        expect(page.locator("#camera-dialog")).not_to_be_visible()
        assert errors == []
    finally:
        browser.close()


def test_a_check_in_made_offline_waits_visibly_and_is_sent_once_back_online(
    app, make_session, live_server, page_factory
):
    from datetime import timedelta

    from sqlalchemy import select

    from app.extensions import db
    from app.models import Booking, CheckIn, Role
    from app.services import booking as booking_service
    from app.services.accounts import create_user

    from .conftest import STAFF_PASSWORD

    session_id = make_session(capacity=8, starts_in=timedelta(minutes=20))
    with app.app_context():
        booking_service.book(
            booking_service.BookingRequest(
                session_id, "Irène Joliot-Curie", "i@example.fr", 2, by_organiser=True
            )
        )
        create_user("wifi@mines-ales.fr", Role.CHECKIN, STAFF_PASSWORD)
        db.session.commit()
    tablet = page_factory(width=768, height=1024, has_touch=True)
    sign_in(tablet, live_server, "wifi@mines-ales.fr", STAFF_PASSWORD)
    tablet.goto(f"{live_server}/checkin/sessions/{session_id}")

    tablet.context.set_offline(True)
    tablet.get_by_role("button", name=re.compile("Entrée \\(2\\)")).click()
    banner = tablet.locator("#door-queue")
    expect(banner).to_be_visible()
    expect(banner).to_have_text("Hors ligne — 1 enregistrement en attente")
    with app.app_context():
        assert (
            db.session.scalar(select(Booking.checked_in_seats)) == 0
        )  # nothing reached the server

    tablet.context.set_offline(False)
    expect(banner).to_be_hidden(timeout=10000)
    expect(tablet.locator("#door-result")).to_contain_text("Irène Joliot-Curie, 2 places")
    with app.app_context():
        assert db.session.scalar(select(Booking.checked_in_seats)) == 2
        assert len(db.session.scalars(select(CheckIn)).all()) == 1


def door_tablet(app, page_factory, live_server, session_id, email):
    """A door account, signed in on a touch tablet showing the session's door page."""
    from app.extensions import db
    from app.models import Role
    from app.services.accounts import create_user

    from .conftest import STAFF_PASSWORD

    with app.app_context():
        create_user(email, Role.CHECKIN, STAFF_PASSWORD)
        db.session.commit()
    tablet = page_factory(width=768, height=1024, has_touch=True)
    sign_in(tablet, live_server, email, STAFF_PASSWORD)
    tablet.goto(f"{live_server}/checkin/sessions/{session_id}")
    return tablet


def booked(app, session_id, *parties):
    """Confirmed bookings (name, seats); returns {name: (booking id, ticket code)}."""
    from app.extensions import db
    from app.services import booking as booking_service

    made = {}
    with app.app_context():
        for name, seats in parties:
            booking = booking_service.book(
                booking_service.BookingRequest(
                    session_id,
                    name,
                    f"{name.split()[0].lower()}@example.fr",
                    seats,
                    by_organiser=True,
                )
            )
            made[name] = (booking.id, booking.ticket_code)
        db.session.commit()
    return made


def standing_check_ins(app):
    """(party name, seats) of every check-in still standing."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Booking, CheckIn

    with app.app_context():
        return sorted(
            db.session.execute(
                select(Booking.name, CheckIn.seats)
                .join(Booking, Booking.id == CheckIn.booking_id)
                .where(CheckIn.undone_at.is_(None))
            ).all()
        )


def test_several_different_actions_taken_offline_all_reach_the_server_once(
    app, make_session, live_server, page_factory
):
    """Two tickets scanned, two walk-ins and two partial entries while the Wi-Fi is down."""
    from datetime import timedelta

    session_id = make_session(capacity=20, starts_in=timedelta(minutes=20))
    parties = booked(app, session_id, ("Marie Curie", 2), ("Pierre Curie", 1), ("Lise Meitner", 3))
    tablet = door_tablet(app, page_factory, live_server, session_id, "offline@mines-ales.fr")
    crashes: list[str] = []  # offline, htmx and Chrome log every failed request: expected
    tablet.on("pageerror", lambda error: crashes.append(str(error)))
    scan_box = tablet.get_by_label("Nom ou code du billet")
    banner = tablet.locator("#door-queue")

    tablet.context.set_offline(True)
    for name in ("Marie Curie", "Pierre Curie"):
        scan_box.fill(parties[name][1].lower())
        scan_box.press("Enter")
    for seats, name in (("2", "Famille Dupont"), ("1", "Paul")):
        tablet.get_by_label("Places", exact=True).first.fill(seats)
        tablet.get_by_label("Nom (facultatif)").first.fill(name)
        tablet.get_by_role("button", name="Faire entrer").click()
    partial = tablet.get_by_role("button", name="Entrée partielle — Lise Meitner")
    partial.click()
    partial.click()  # the second of the party, a minute later
    expect(banner).to_have_text("Hors ligne — 6 enregistrements en attente")
    assert standing_check_ins(app) == []  # nothing reached the server

    tablet.context.set_offline(False)
    expect(banner).to_be_hidden(timeout=20000)
    assert standing_check_ins(app) == [
        ("Famille Dupont", 2),
        ("Lise Meitner", 1),
        ("Lise Meitner", 1),
        ("Marie Curie", 2),
        ("Paul", 1),
        ("Pierre Curie", 1),
    ]
    from app.services.ledger import check_ledger

    with app.app_context():
        assert check_ledger() == []
    expect(scan_box).to_have_value("")  # ready for the next ticket, queued or not
    assert crashes == []


@pytest.mark.app_config(DB_LOCK_TIMEOUT_MS=300)
def test_an_action_answered_503_stays_queued_and_goes_through_later(
    app, make_session, live_server, page_factory
):
    """The database is locked when the queue is sent: "nothing stored" is not an answer."""
    from datetime import timedelta

    from .test_busy import writer_holding_the_lock

    session_id = make_session(capacity=8, starts_in=timedelta(minutes=20))
    booked(app, session_id, ("Irène Joliot-Curie", 2))
    tablet = door_tablet(app, page_factory, live_server, session_id, "locked@mines-ales.fr")
    banner = tablet.locator("#door-queue")

    tablet.context.set_offline(True)
    tablet.get_by_role("button", name=re.compile("Entrée \\(2\\)")).click()
    expect(banner).to_contain_text("1 enregistrement en attente")
    with writer_holding_the_lock(app, session_id):
        with tablet.expect_response(
            lambda response: "/checkin/sync" in response.url and response.status == 503,
            timeout=15000,
        ):
            tablet.context.set_offline(False)
        tablet.wait_for_timeout(300)
        expect(banner).to_contain_text("1 enregistrement en attente d’envoi")
        assert standing_check_ins(app) == []
    expect(banner).to_be_hidden(timeout=15000)
    expect(tablet.locator("#door-result")).to_contain_text("Irène Joliot-Curie, 2 places")
    assert standing_check_ins(app) == [("Irène Joliot-Curie", 2)]


def lapse(app, email):
    """The staff account is removed: the tablet's session no longer signs anybody in."""
    from sqlalchemy import delete

    from app.extensions import db
    from app.models import StaffUser

    with app.app_context():
        db.session.execute(delete(StaffUser).where(StaffUser.email == email))
        db.session.commit()


def no_login_page_in(tablet):
    """The door page is whole: no login form swapped into it, one board, one set of counters."""
    expect(tablet.get_by_label("Mot de passe")).to_have_count(0)
    expect(tablet.locator("main")).to_have_count(1)
    expect(tablet.locator("#board")).to_have_count(1)
    expect(tablet.locator("#counters")).to_have_count(1)


def test_an_action_sent_after_the_sign_in_lapsed_waits_for_the_next_sign_in(
    app, make_session, live_server, page_factory
):
    """A redirect to /login is not an answer: the action waits, the board stays and says the
    sign-in lapsed, and the next sign-in sends it, once.

    The tap is taken while the Wi-Fi is down, so nothing can have told the tablet that the
    sign-in lapsed: online, a poll every few seconds may tell it first, and the list (people's
    names) is erased before a tap can land on it (the scan box still takes tickets then).
    """
    from datetime import timedelta

    from app.extensions import db
    from app.models import Role
    from app.services.accounts import create_user

    from .conftest import STAFF_PASSWORD
    from .test_accessibility import axe_violations
    from .test_door_offline import SHOTS, door_actions

    session_id = make_session(capacity=8, starts_in=timedelta(minutes=20))
    parties = booked(app, session_id, ("Marie Curie", 2), ("Pierre Curie", 1))
    tablet = door_tablet(app, page_factory, live_server, session_id, "lapsed@mines-ales.fr")
    crashes: list[str] = []  # offline, Chrome logs every failed request: expected
    tablet.on("pageerror", lambda error: crashes.append(str(error)))
    banner = tablet.locator("#door-queue")
    tablet.context.set_offline(True)
    tablet.get_by_role("button", name=re.compile("Entrée \\(2\\)")).click()
    expect(banner).to_have_text("Hors ligne — 1 enregistrement en attente")
    lapse(app, "lapsed@mines-ales.fr")

    with tablet.expect_response(lambda response: "/login?next=%2Fcheckin%2Fsync" in response.url):
        tablet.context.set_offline(False)
    expect(banner).to_have_text(
        "Connexion expirée — 1 enregistrement en attente d’envoi après la prochaine connexion"
    )
    # No one's name left on a tablet nobody signs in, and where to sign in again.
    expect(tablet.locator(".door-list")).to_contain_text("Connectez-vous à nouveau")
    expect(tablet.locator(".door-row")).to_have_count(0)
    expect(tablet.locator("#door-counters-note")).to_have_text(
        "Compteurs de cette tablette, jusqu’à la prochaine connexion"
    )
    with tablet.expect_response(lambda response: "/login?next=%2Fcheckin%2Fday" in response.url):
        pass  # the next poll meets the login page too
    no_login_page_in(tablet)
    expect(banner).to_contain_text("1 enregistrement en attente d’envoi")
    # Online but signed out, a scanned ticket waits for the next sign-in, not the network.
    scan = tablet.get_by_label("Nom ou code du billet")
    scan.fill(parties["Pierre Curie"][1])
    scan.press("Enter")
    result = tablet.locator("#door-result")
    expect(result).to_contain_text(
        "il sera vérifié après la prochaine connexion. "
        "Enregistré sur la tablette\u202f: envoi après la prochaine connexion."
    )
    expect(result).not_to_contain_text("retour du réseau")
    expect(banner).to_contain_text("2 enregistrements en attente d’envoi")
    assert standing_check_ins(app) == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    tablet.screenshot(path=SHOTS / "lapsed.png")
    assert axe_violations(tablet) == []

    with app.app_context():
        create_user("lapsed@mines-ales.fr", Role.CHECKIN, STAFF_PASSWORD)
        db.session.commit()
    tablet.context.clear_cookies()  # a fresh sign-in, as after a lapsed staff session
    tablet.locator(".door-list").get_by_role("link", name="Se connecter").click()
    tablet.get_by_label("Adresse e-mail").fill("lapsed@mines-ales.fr")
    tablet.get_by_label("Mot de passe").fill(STAFF_PASSWORD)
    tablet.get_by_role("button", name="Se connecter").click()
    expect(tablet).to_have_url(f"{live_server}/checkin/sessions/{session_id}")
    expect(banner).to_be_hidden(timeout=15000)
    expect(tablet.get_by_role("button", name="Annuler l’entrée — Marie Curie")).to_be_visible()
    assert standing_check_ins(app) == [("Marie Curie", 2), ("Pierre Curie", 1)]
    assert door_actions(app) == 2  # each sent once
    assert crashes == []


def test_a_poll_sent_to_the_login_page_never_puts_it_in_the_door_page(
    app, make_session, live_server, page_factory
):
    """The counters' poll (htmx) follows the redirect to /login: the login page is not
    swapped into the door page; the tablet says the sign-in lapsed instead."""
    from datetime import timedelta

    session_id = make_session(capacity=8, starts_in=timedelta(minutes=20))
    booked(app, session_id, ("Marie Curie", 2))
    tablet = door_tablet(app, page_factory, live_server, session_id, "polled@mines-ales.fr")
    errors = collect_errors(tablet)
    expect(tablet.locator(".door-row__name")).to_have_text(["Marie Curie"])
    # The day's poll is held on the way, so the counters' poll is the first to meet /login.
    held: list = []

    def hold(route):
        held.append(route)

    tablet.context.route("**/checkin/day", hold)
    lapse(app, "polled@mines-ales.fr")
    counters = f"/login?next=%2Fcheckin%2Fsessions%2F{session_id}%2Fcounters"
    with tablet.expect_response(lambda response: counters in response.url, timeout=10000):
        pass
    no_login_page_in(tablet)
    expect(tablet.locator(".door-list")).to_contain_text("Connectez-vous à nouveau")
    expect(tablet.locator("#door-queue")).to_have_text(
        "Connexion expirée\u202f: connectez-vous à nouveau."
    )
    tablet.context.unroute("**/checkin/day")
    for route in held:
        route.continue_()
    tablet.get_by_label("Nom ou code du billet").fill("curie")  # no search of the server's board
    tablet.wait_for_timeout(500)
    no_login_page_in(tablet)
    expect(tablet.locator(".door-row")).to_have_count(0)
    assert errors == []


def test_the_tablet_script_speaks_the_page_language(app, make_session, live_server, page_factory):
    """In English the offline banner and the camera's status come from the English catalogue."""
    from datetime import timedelta

    session_id = make_session(capacity=8, starts_in=timedelta(minutes=20))
    code = booked(app, session_id, ("Marie Curie", 2))["Marie Curie"][1]
    tablet = door_tablet(app, page_factory, live_server, session_id, "english@mines-ales.fr")
    tablet.goto(f"{live_server}/language/en?next=/checkin/sessions/{session_id}")
    expect(tablet.locator("html")).to_have_attribute("lang", "en")

    tablet.context.set_offline(True)
    tablet.locator("#q").fill(code)
    tablet.locator("#scan-form button[type=submit]").click()
    expect(tablet.locator("#door-queue")).to_have_text("Offline — 1 record waiting")
    # No camera was granted to this page: the tablet says so and the code can be typed.
    tablet.locator("#camera-button").click()
    expect(tablet.locator("#camera-status")).to_have_text("Camera unavailable: type the code.")
    tablet.locator("#camera-close").click()

    tablet.context.set_offline(False)
    expect(tablet.locator("#door-queue")).to_be_hidden(timeout=15000)
    assert standing_check_ins(app) == [("Marie Curie", 2)]


def test_a_party_waits_on_two_other_sessions_accepts_one_and_leaves_the_other_list(
    app, make_session, live_server, page_factory, smtp
):
    """A full session lists the others; the party waits on two; the mailed offer is
    accepted; the other list's count drops at once on an open programme page."""
    from datetime import timedelta
    from pathlib import Path

    import requests

    from app.extensions import db
    from app.models import EventSession
    from app.services import booking as booking_service

    from .helpers import form_fields

    first_id = make_session(capacity=1, title="Exposition commentée")
    with app.app_context():
        first = db.session.get(EventSession, first_id)
        others = [
            EventSession(
                event_id=first.event_id,
                starts_at=first.starts_at + timedelta(days=day),
                ends_at=first.ends_at + timedelta(days=day),
                capacity=1,
            )
            for day in (1, 2)
        ]
        db.session.add_all(others)
        db.session.commit()
        b_id, c_id = (s.id for s in others)
        holders = {}
        for session_id in (first_id, b_id, c_id):
            holder = booking_service.book(
                booking_service.BookingRequest(session_id, "Anne", "anne@example.fr", 1)
            )
            db.session.commit()
            holders[session_id] = holder.token

    shots = Path("/tmp/shots/h16a")
    shots.mkdir(parents=True, exist_ok=True)
    programme = page_factory(width=1024, height=800)
    programme_errors = collect_errors(programme)
    programme.goto(f"{live_server}/")
    badge_c = programme.locator(f"#avail-{c_id} .avail__label")
    expect(badge_c).to_have_text("Complet – liste d’attente")

    wide = page_factory(width=1280, height=900)
    wide.goto(f"{live_server}/sessions/{first_id}")
    wide.locator(".also").screenshot(path=str(shots / "waiting-form-1280.png"))

    visitor = page_factory(width=390, height=844)
    visitor_errors = collect_errors(visitor)
    visitor.goto(f"{live_server}/sessions/{first_id}")
    choices = visitor.get_by_role("group", name=re.compile("Attendre aussi"))
    expect(choices.get_by_role("checkbox")).to_have_count(2)
    expect(choices).to_contain_text("complet")
    visitor.get_by_label("Nom et prénom").fill("Lise Meitner")
    visitor.get_by_label("Adresse e-mail").fill("lise@example.fr")
    for box in choices.get_by_role("checkbox").all():
        box.check()
    visitor.locator(".also").screenshot(path=str(shots / "waiting-form-390.png"))
    visitor.get_by_role("button", name="Rejoindre la liste d’attente").click()
    expect(visitor.get_by_role("heading", name="Vous êtes sur la liste d’attente")).to_be_visible()
    expect(visitor).to_have_url(re.compile(r"/b/[A-Za-z0-9_-]{43}$"))
    booking_url = visitor.url
    visitor.goto(booking_url)
    expect(visitor.locator(".position")).to_have_count(3)
    waiting = requests.get(f"{live_server}/api/sessions/{c_id}", timeout=10).json()["waitlist"]
    assert waiting == 1

    http = requests.Session()
    for session_id in (b_id, c_id):  # b's seat is offered to the party; c's then waits
        cancel_url = f"{live_server}/b/{holders[session_id]}/cancel"
        fields = form_fields(http.get(cancel_url, timeout=10).text)
        response = http.post(cancel_url, data=fields, allow_redirects=False, timeout=10)
        assert response.status_code == 303

    offer = smtp.wait_for_mail("lise@example.fr", "Des places se libèrent")
    text = offer.get_body(preferencelist=("plain",)).get_content()
    accept_url = next(word for word in text.split() if "/accept?offer=" in word)
    assert accept_url.startswith(booking_url)  # the party's own link, naming the offer
    assert len(smtp.to("lise@example.fr")) == 2  # joined, then one offer: not two

    visitor.goto(booking_url)
    expect(visitor.locator(".position--offer")).to_have_count(1)
    visitor.screenshot(path=str(shots / "booking-positions-390.png"), full_page=True)
    wide.goto(booking_url)
    wide.screenshot(path=str(shots / "booking-positions-1280.png"), full_page=True)

    programme.wait_for_timeout(2500)  # c's freed seat waits for the party: c looks full
    expect(badge_c).to_have_text("Complet – liste d’attente")

    visitor.goto(accept_url)
    visitor.get_by_role("button", name="Oui, je confirme mes places").click()
    expect(visitor.locator(".status")).to_have_text("Confirmée")
    expect(visitor.locator(".position")).to_have_count(0)

    # Accepting b withdrew the party from c's list: c's seat is on sale again, live.
    expect(badge_c).not_to_have_text("Complet – liste d’attente", timeout=8000)
    waiting = requests.get(f"{live_server}/api/sessions/{c_id}", timeout=10).json()["waitlist"]
    assert waiting == 0
    assert programme_errors == [] and visitor_errors == []
