"""The door tablet without Wi-Fi, in Chromium at 768×1024: pages, lists and actions offline.

Service workers need a secure context: http://127.0.0.1 is one.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from .test_accessibility import SMALL_TARGETS, axe_violations
from .test_browser import booked, collect_errors, sign_in, standing_check_ins

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots/h17")
TABLET = {"width": 768, "height": 1024}

# Whether the service worker keeps a page (any of our page caches has it).
KEPT = """async (path) => {
  for (const name of await caches.keys()) {
    if (!name.startsWith('door-pages-')) continue;
    if (await (await caches.open(name)).match(location.origin + path)) return true;
  }
  return false;
}"""
# What the tablet keeps in IndexedDB: the day's sessions (ids) and the actions waiting.
STORED = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open('minerales-door', 1);
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const tx = open.result.transaction(['day', 'queue'], 'readonly');
    const day = tx.objectStore('day').get('current');
    const queue = tx.objectStore('queue').getAll();
    tx.oncomplete = () => resolve({
      sessions: day.result ? day.result.data.sessions.map(s => s.id) : null,
      queue: queue.result.length});
  };
})"""
PAGE_CACHES = """async () => {
  const urls = [];
  for (const name of await caches.keys()) {
    if (!name.startsWith('door-pages-')) continue;
    for (const request of await (await caches.open(name)).keys()) urls.push(new URL(request.url).pathname);
  }
  return urls;
}"""


def door_account(app, email, role="checkin"):
    """A staff account."""
    from app.extensions import db
    from app.models import Role
    from app.services.accounts import create_user

    from .conftest import STAFF_PASSWORD

    with app.app_context():
        create_user(email, Role(role), STAFF_PASSWORD)
        db.session.commit()


def ready_tablet(app, context, live_server, session_id, email):
    """Sign in on a tablet, open the session's door page online and wait until it is kept."""
    from .conftest import STAFF_PASSWORD

    door_account(app, email)
    tablet = context.new_page()
    sign_in(tablet, live_server, email, STAFF_PASSWORD)
    path = f"/checkin/sessions/{session_id}"
    tablet.goto(f"{live_server}{path}")
    until(
        lambda: tablet.evaluate(KEPT, path) and tablet.evaluate(STORED)["sessions"] is not None,
        lambda: (tablet.evaluate(PAGE_CACHES), tablet.evaluate(STORED)),
    )
    return tablet


def until(condition, explain=lambda: None, timeout=15.0):
    """Wait for ``condition()`` (page.wait_for_function does not wait for a promise)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out: {explain()}"
        time.sleep(0.2)


@pytest.fixture
def tablet_context(chromium):
    """A fresh browser context the size of a tablet, with touch."""
    contexts = []

    def factory():
        context = chromium.new_context(viewport=TABLET, locale="fr-FR", has_touch=True)
        contexts.append(context)
        return context

    yield factory
    for context in contexts:
        context.close()


class Uplink:
    """The Hub's link to the server: while it is down, whatever still reaches the app (a
    request the browser's offline emulation lets through, as the service worker's network
    fallback may) is answered 503 and changes nothing, as a gateway without uplink would."""

    down = False

    def __init__(self, app):
        self.app, self.inner = app, app.wsgi_app
        app.wsgi_app = self

    def __call__(self, environ, start_response):
        if not Uplink.down:
            return self.inner(environ, start_response)
        start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
        return [b"no uplink"]


@pytest.fixture(autouse=True)
def uplink(app):
    """Every test here can cut the link (``wifi``); it is back at the end."""
    link = Uplink(app)
    yield link
    Uplink.down = False
    app.wsgi_app = link.inner


def wifi(context, up):
    """The Wi-Fi goes down (the browser offline, every request failing, the service
    worker's too, and the link to the server cut, so what works is what the tablet kept)
    or comes back."""
    if up:
        context.unroute("**/*")
        context.set_offline(False)
        Uplink.down = False
    else:
        Uplink.down = True
        context.set_offline(True)
        context.route("**/*", lambda route: route.abort("internetdisconnected"))


def counter(page, index):
    """One of the door's big numbers (0 expected, 1 arrived, 2 to come, 3 free, 4 waiting)."""
    return page.locator("#counters li").nth(index).locator(".door-counters__value")


def door_actions(app):
    """How many actions the server recorded by nonce."""
    from app.extensions import db
    from app.models import DoorAction

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(DoorAction))


def test_a_tablet_works_offline_through_a_reload_and_every_action_reaches_the_server_once(
    app, make_session, live_server, tablet_context, page_factory
):
    session_id = make_session(capacity=20, starts_in=timedelta(minutes=20))
    parties = booked(
        app,
        session_id,
        ("Marie Curie", 2),
        ("Pierre Curie", 1),
        ("Lise Meitner", 3),
        ("Jean Moulin", 1),
    )
    context = tablet_context()
    tablet = ready_tablet(app, context, live_server, session_id, "door1@mines-ales.fr")
    crashes: list[str] = []
    tablet.on("pageerror", lambda error: crashes.append(str(error)))
    other = page_factory(width=1024, height=768)
    door_account(app, "door2@mines-ales.fr")
    from .conftest import STAFF_PASSWORD

    sign_in(other, live_server, "door2@mines-ales.fr", STAFF_PASSWORD)
    other.goto(f"{live_server}/checkin/sessions/{session_id}")

    wifi(context, False)
    tablet.reload()
    banner = tablet.locator("#door-queue")
    expect(banner).to_have_text("Hors ligne — 0 enregistrement en attente")
    expect(banner).to_have_attribute("role", "status")
    expect(tablet.locator(".door-row__name")).to_have_count(4)
    expect(tablet.locator("#door-counters-note")).to_be_visible()  # the counters are local

    search = tablet.get_by_label("Nom ou code du billet")
    search.fill("meitner")
    expect(tablet.locator(".door-row__name")).to_have_text(["Lise Meitner"])
    search.fill(parties["Jean Moulin"][1].lower())
    expect(tablet.locator(".door-row__name")).to_have_text(["Jean Moulin"])

    search.fill(parties["Marie Curie"][1])
    search.press("Enter")  # a USB scanner types the code and Enter
    expect(tablet.locator("#door-result")).to_contain_text("Marie Curie, 2 places")
    expect(search).to_have_value("")
    tablet.get_by_role("button", name="Entrée (1) — Pierre Curie").click()
    partial = tablet.locator("form.door-partial").filter(
        has=tablet.get_by_role("button", name="Entrée partielle — Lise Meitner")
    )
    partial.get_by_label("places").fill("2")
    partial.get_by_role("button").click()
    expect(tablet.locator("#door-result")).to_contain_text("Lise Meitner, 2 places")
    tablet.get_by_label("Places", exact=True).first.fill("2")
    tablet.get_by_label("Nom (facultatif)").first.fill("Famille Dupont")
    tablet.get_by_role("button", name="Faire entrer").click()
    expect(tablet.locator("#door-result")).to_contain_text("Famille Dupont, 2 places")
    tablet.get_by_role("button", name="Annuler l’entrée — Pierre Curie").click()
    expect(tablet.locator("#door-result")).to_contain_text("Entrée annulée")

    # What the tablet knows: its own counts, the rows it changed, the banner.
    expect(banner).to_have_text("Hors ligne — 5 enregistrements en attente")
    expect(counter(tablet, 1)).to_have_text("6")  # 2 + 2 + 2, Pierre undone
    already = tablet.get_by_role("button", name="Entrée (1) — Marie Curie")
    expect(already).to_have_count(0)
    search.fill(parties["Marie Curie"][1])
    search.press("Enter")
    expect(tablet.locator("#door-result")).to_contain_text("Déjà entrés")
    SHOTS.mkdir(parents=True, exist_ok=True)
    tablet.evaluate("window.scrollTo(0, 0)")
    tablet.screenshot(path=SHOTS / "offline-banner.png")
    assert axe_violations(tablet) == []
    assert tablet.evaluate(SMALL_TARGETS) == []
    assert standing_check_ins(app) == []  # nothing reached the server

    wifi(context, True)
    expect(banner).to_be_hidden(timeout=20000)
    assert standing_check_ins(app) == [
        ("Famille Dupont", 2),
        ("Lise Meitner", 2),
        ("Marie Curie", 2),
    ]
    assert door_actions(app) == 5  # 3 check-ins, a walk-in, an undo: each once
    expect(counter(other, 1)).to_have_text("6", timeout=10000)  # the other tablet counts them
    expect(tablet.locator("#door-counters-note")).to_have_count(0)
    expect(tablet.get_by_role("button", name="Entrée (1) — Pierre Curie")).to_be_visible()
    assert axe_violations(tablet) == []

    from app.services.ledger import check_ledger

    with app.app_context():
        assert check_ledger() == []
    organiser = page_factory()
    door_account(app, "organiser@mines-ales.fr", "organiser")
    sign_in(organiser, live_server, "organiser@mines-ales.fr", STAFF_PASSWORD)
    organiser.goto(f"{live_server}/admin/")
    expect(organiser.locator(".totals__value").filter(has_text=re.compile(r"^6$"))).to_have_count(1)
    assert crashes == []


def test_two_offline_tablets_let_the_same_party_in_once_and_the_second_is_told(
    app, make_session, live_server, tablet_context
):
    session_id = make_session(capacity=10, starts_in=timedelta(minutes=20))
    code = booked(app, session_id, ("Marie Curie", 2))["Marie Curie"][1]
    first_context, second_context = tablet_context(), tablet_context()
    first = ready_tablet(app, first_context, live_server, session_id, "first@mines-ales.fr")
    second = ready_tablet(app, second_context, live_server, session_id, "second@mines-ales.fr")
    wifi(first_context, False)
    wifi(second_context, False)
    for tablet in (first, second):
        tablet.get_by_label("Nom ou code du billet").fill(code)
        tablet.get_by_label("Nom ou code du billet").press("Enter")
        expect(tablet.locator("#door-result")).to_contain_text("Marie Curie, 2 places")

    wifi(first_context, True)
    expect(first.locator("#door-queue")).to_be_hidden(timeout=15000)
    wifi(second_context, True)
    expect(second.locator("#door-queue")).to_be_hidden(timeout=15000)
    conflicts = second.locator("#door-conflicts")
    expect(conflicts).to_be_visible()
    expect(conflicts).to_contain_text(
        re.compile(r"Marie Curie — Déjà entrés\u202f: 2 places à .+ \(par first@mines-ales\.fr\)")
    )
    assert standing_check_ins(app) == [("Marie Curie", 2)]  # counted once
    expect(first.locator("#door-conflicts")).to_be_hidden()
    # The server's board again: the row says who let the party in.
    expect(second.locator(".door-row").filter(has_text="Marie Curie")).to_contain_text(
        "(first@mines-ales.fr)"
    )
    expect(second.locator(".door-row__pending")).to_have_count(0)
    SHOTS.mkdir(parents=True, exist_ok=True)
    second.screenshot(path=SHOTS / "conflict.png")
    assert axe_violations(second) == []
    second.get_by_role("button", name=re.compile("^Compris")).click()
    expect(conflicts).to_be_hidden()


def test_a_walk_in_that_no_longer_fits_is_reported_and_can_join_the_door_queue(
    app, make_session, live_server, tablet_context
):
    session_id = make_session(capacity=3, starts_in=timedelta(minutes=20))
    first_context, second_context = tablet_context(), tablet_context()
    first = ready_tablet(app, first_context, live_server, session_id, "first@mines-ales.fr")
    second = ready_tablet(app, second_context, live_server, session_id, "second@mines-ales.fr")
    wifi(first_context, False)
    wifi(second_context, False)
    for tablet, name in ((first, "Famille Dupont"), (second, "Famille Martin")):
        tablet.get_by_label("Places", exact=True).first.fill("2")
        tablet.get_by_label("Nom (facultatif)").first.fill(name)
        tablet.get_by_role("button", name="Faire entrer").click()
        expect(tablet.locator("#door-result")).to_contain_text(f"{name}, 2 places")
    wifi(first_context, True)
    expect(first.locator("#door-queue")).to_be_hidden(timeout=15000)
    wifi(second_context, True)
    conflicts = second.locator("#door-conflicts")
    expect(conflicts).to_contain_text("Famille Martin (2 places) — Il ne reste qu’une place libre.")
    assert standing_check_ins(app) == [("Famille Dupont", 2)]
    conflicts.get_by_role("button", name="Ajouter à la file — Famille Martin (2 places)").click()
    expect(conflicts).to_be_hidden()
    expect(second.locator(".door-standby")).to_contain_text("Famille Martin", timeout=15000)
    from app.extensions import db
    from app.models import StandbyEntry

    with app.app_context():
        assert db.session.scalars(select(StandbyEntry.name)).all() == ["Famille Martin"]


def test_a_tablet_restarted_offline_keeps_its_queue(
    app, make_session, live_server, chromium, tmp_path, playwright_driver
):
    """A new page in the same persistent profile, still offline: the queue is there."""
    from .conftest import CHROMIUM, CHROMIUM_ARGS

    session_id = make_session(capacity=10, starts_in=timedelta(minutes=20))
    booked(app, session_id, ("Irène Joliot-Curie", 2))
    profile = tmp_path / "profile"

    def launch():
        return playwright_driver.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            viewport=TABLET,
            locale="fr-FR",
            has_touch=True,
        )

    context = launch()
    try:
        tablet = ready_tablet(app, context, live_server, session_id, "restart@mines-ales.fr")
        wifi(context, False)
        tablet.get_by_role("button", name=re.compile("Entrée \\(2\\)")).click()
        expect(tablet.locator("#door-queue")).to_have_text(
            "Hors ligne — 1 enregistrement en attente"
        )
        tablet.close()
        restarted = context.new_page()
        restarted.goto(f"{live_server}/checkin/sessions/{session_id}")
        expect(restarted.locator("#door-queue")).to_have_text(
            "Hors ligne — 1 enregistrement en attente"
        )
        expect(restarted.locator(".door-row__name")).to_have_text(["Irène Joliot-Curie"])
        assert standing_check_ins(app) == []
    finally:
        context.close()

    context = launch()  # the browser itself restarted, still offline
    try:
        wifi(context, False)
        tablet = context.new_page()
        tablet.goto(f"{live_server}/checkin/sessions/{session_id}")
        expect(tablet.locator("#door-queue")).to_have_text(
            "Hors ligne — 1 enregistrement en attente"
        )
        wifi(context, True)
        expect(tablet.locator("#door-queue")).to_be_hidden(timeout=15000)
        assert standing_check_ins(app) == [("Irène Joliot-Curie", 2)]
    finally:
        context.close()


def test_the_tablet_keeps_only_door_pages_and_wipes_them_on_sign_out(
    app, make_session, live_server, tablet_context
):
    session_id = make_session(capacity=10, starts_in=timedelta(minutes=20))
    booked(app, session_id, ("Marie Curie", 2))
    context = tablet_context()
    tablet = ready_tablet(app, context, live_server, session_id, "door@mines-ales.fr")
    tablet.goto(f"{live_server}/")  # a public page: out of the worker's scope
    tablet.goto(f"{live_server}/checkin/sessions/{session_id}/release")  # needs the network
    tablet.goto(f"{live_server}/checkin/sessions/{session_id}")
    kept = tablet.evaluate(PAGE_CACHES)
    assert kept and all(path.startswith("/checkin/") for path in kept)
    assert f"/checkin/sessions/{session_id}/release" not in kept
    assert tablet.evaluate(STORED)["sessions"] == [session_id]

    tablet.get_by_role("button", name="Déconnexion").click()
    expect(tablet).to_have_url(re.compile(r"/(login)?$"))
    assert tablet.evaluate(PAGE_CACHES) == []
    assert tablet.evaluate(STORED)["sessions"] is None


def test_an_account_that_lost_its_access_wipes_the_tablet(
    app, make_session, live_server, tablet_context
):
    from sqlalchemy import delete

    from app.extensions import db
    from app.models import StaffUser

    session_id = make_session(capacity=10, starts_in=timedelta(minutes=20))
    booked(app, session_id, ("Marie Curie", 2))
    context = tablet_context()
    tablet = ready_tablet(app, context, live_server, session_id, "gone@mines-ales.fr")
    errors = collect_errors(tablet)
    with app.app_context():
        db.session.execute(delete(StaffUser).where(StaffUser.email == "gone@mines-ales.fr"))
        db.session.commit()
    # The next poll of the day's data is sent to the login page: the tablet forgets the day.
    until(lambda: tablet.evaluate(STORED)["sessions"] is None)
    until(lambda: tablet.evaluate(PAGE_CACHES) == [])
    assert errors == []


def test_the_day_is_erased_from_the_tablet_once_it_is_over(
    app, make_session, live_server, tablet_context
):
    session_id = make_session(capacity=10, starts_in=timedelta(minutes=20))
    booked(app, session_id, ("Marie Curie", 2))
    context = tablet_context()
    tablet = ready_tablet(app, context, live_server, session_id, "late@mines-ales.fr")
    # Midnight has passed (the tablet's record says until when its day is kept).
    tablet.evaluate(
        """() => new Promise(resolve => {
          const open = indexedDB.open('minerales-door', 1);
          open.onsuccess = () => {
            const tx = open.result.transaction('day', 'readwrite');
            const store = tx.objectStore('day');
            const read = store.get('current');
            read.onsuccess = () => {
              read.result.data.keep_until = new Date(Date.now() - 1000).toISOString();
              store.put(read.result, 'current');
            };
            tx.oncomplete = () => resolve(true);
          };
        })"""
    )
    wifi(context, False)
    tablet.reload()
    until(lambda: tablet.evaluate(STORED)["sessions"] is None)
    until(lambda: tablet.evaluate(PAGE_CACHES) == [])


def board_text(page):
    """The door's list, its queue and the waiting counter as a person reads them."""
    return (
        page.locator(".door-list").inner_text(),
        page.locator(".door-standby").inner_text(),
        counter(page, 4).inner_text(),
    )


def test_offline_the_board_shows_the_waiting_list_and_the_door_queue_as_online(
    app, make_session, live_server, tablet_context
):
    """Booking has closed: the waiting list's parties are rows that may join the door's queue,
    and the queue shows its numbers and ranks; offline, the tablet draws the same board, and
    a party joining the queue there is sent once back online."""
    from app.services import checkin

    from .test_door_waitlist import booking_closes, door, full_session, party, queue

    session_id, _booked = full_session(app, make_session, 3, 3)
    martin = party(app, session_id, 2, "Famille Martin", waiting=True)
    dirac = party(app, session_id, 1, "Paul Dirac", waiting=True)
    booking_closes(app, session_id)
    door(app, checkin.join_standby, session_id, dirac["id"])
    door(app, checkin.add_standby, session_id, 1, "Léa")
    context = tablet_context()
    tablet = ready_tablet(app, context, live_server, session_id, "queue@mines-ales.fr")
    crashes: list[str] = []
    tablet.on("pageerror", lambda error: crashes.append(str(error)))
    join = "Ajouter à l’attente à l’entrée (rang 1 sur la liste d’attente) — Famille Martin"
    expect(tablet.get_by_role("button", name=join)).to_be_visible()
    online = board_text(tablet)
    assert "Paul Dirac · 1 place · " in online[1] and "liste d’attente, rang 2" in online[1]
    with tablet.expect_response(  # compressed, and still a 304 while nothing changes
        lambda r: r.url.endswith("/checkin/day") and r.status == 304, timeout=12000
    ):
        pass

    wifi(context, False)
    tablet.reload()
    expect(tablet.locator("#door-counters-note")).to_be_visible()  # the tablet's own board
    assert board_text(tablet) == online
    expect(tablet.locator(".door-row").filter(has_text="Paul Dirac")).to_contain_text(
        "liste d’attente, rang 2 · attend à l’entrée"
    )

    tablet.get_by_role("button", name=join).click()
    expect(tablet.locator("#door-result")).to_contain_text(
        "Ajouté à l’attente à l’entrée\u202f: n° 1 de la file."
    )
    standby = tablet.locator(".door-standby li")
    expect(standby).to_have_count(3)
    expect(standby.nth(0)).to_contain_text("n° 1 · Famille Martin · 2 places")
    expect(standby.nth(1)).to_contain_text("n° 2 · Paul Dirac")
    expect(tablet.get_by_role("button", name=join)).to_have_count(0)
    search = tablet.get_by_label("Nom ou code du billet")
    search.fill(dirac["code"])
    search.press("Enter")
    expect(tablet.locator("#door-result")).to_contain_text(
        "Ce groupe attend déjà à l’entrée\u202f: n° 2 de la file."
    )
    tablet.get_by_role("button", name="Parti — Léa").click()
    expect(standby).to_have_count(2)
    expect(tablet.locator("#door-queue")).to_have_text("Hors ligne — 2 enregistrements en attente")
    assert queue(app, session_id) == ["Paul Dirac", "Léa"]  # nothing reached the server
    SHOTS.mkdir(parents=True, exist_ok=True)
    tablet.locator(".door-side").screenshot(path=SHOTS / "offline-queue.png")
    assert axe_violations(tablet) == []

    wifi(context, True)
    expect(tablet.locator("#door-queue")).to_be_hidden(timeout=20000)
    assert queue(app, session_id) == ["Famille Martin", "Paul Dirac"]
    expect(tablet.locator("#door-counters-note")).to_have_count(0)  # the server's board again
    expect(standby.nth(0)).to_contain_text("n° 1 · Famille Martin · 2 places")
    assert martin["id"] and crashes == []


def test_the_camera_reads_a_ticket_offline(
    app, make_session, live_server, playwright_driver, tmp_path
):
    """Chromium's fake camera shows a ticket's QR code while the Wi-Fi is down: the QR
    reader comes from what the service worker kept, the party is let in on the tablet, and
    the check-in reaches the server once back online."""
    from .conftest import CHROMIUM, CHROMIUM_ARGS
    from .fake_camera import qr_video

    session_id = make_session(capacity=8, starts_in=timedelta(minutes=20))
    code = booked(app, session_id, ("Lise Meitner", 2))["Lise Meitner"][1]
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
            viewport=TABLET, locale="fr-FR", has_touch=True, permissions=["camera"]
        )
        tablet = ready_tablet(app, context, live_server, session_id, "camera@mines-ales.fr")
        wifi(context, False)
        tablet.reload()  # the page and the QR reader from what the service worker kept
        expect(tablet.locator(".door-row__name")).to_have_text(["Lise Meitner"])
        tablet.get_by_role("button", name="Scanner avec la caméra").click()
        expect(tablet.locator("#door-result")).to_contain_text(
            "Lise Meitner, 2 places", timeout=15000
        )
        expect(tablet.locator("#door-queue")).to_have_text(
            "Hors ligne — 1 enregistrement en attente"
        )
        assert standing_check_ins(app) == []
        wifi(context, True)
        expect(tablet.locator("#door-queue")).to_be_hidden(timeout=15000)
        assert standing_check_ins(app) == [("Lise Meitner", 2)]
    finally:
        browser.close()
