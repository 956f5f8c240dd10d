"""The widget for the school's website: /embed/ pages, who may frame them, and the host script.

The browser tests serve a stand-in for the school's page on other ports (other origins):
one listed in EMBED_ORIGINS, whose frame shows the live counts, and one that is not,
whose frame Chromium refuses.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from app import create_app
from app.extensions import db
from app.models import EventKind, EventSession

from .test_accessibility import axe_violations

SHOTS = Path("/tmp/shots/h20b")
SCHOOL = "https://www.mines-ales.fr"


def frame_ancestors(response) -> str:
    policy = response.headers["Content-Security-Policy"]
    return next(d for d in policy.split("; ") if d.startswith("frame-ancestors"))


@pytest.mark.app_config(EMBED_ORIGINS=[SCHOOL, "http://127.0.0.1:8081"])
def test_only_the_widget_may_be_framed_and_only_by_the_listed_sites(client, make_session):
    session_id = make_session()
    for path in ("/embed/", "/embed/?kind=film", "/embed/?event=424242"):
        response = client.get(path)
        assert frame_ancestors(response) == (
            f"frame-ancestors 'self' {SCHOOL} http://127.0.0.1:8081"
        ), path
        assert "X-Frame-Options" not in response.headers
    for path in ("/", f"/sessions/{session_id}", "/api/sessions", "/programme.ics", "/login"):
        response = client.get(path)
        assert frame_ancestors(response) == "frame-ancestors 'none'", path
        assert response.headers["X-Frame-Options"] == "DENY"


def test_without_the_setting_only_our_own_pages_may_frame_the_widget(client):
    assert frame_ancestors(client.get("/embed/")) == "frame-ancestors 'self'"


@pytest.mark.parametrize(
    "origins",
    [
        ["https://www.mines-ales.fr/page"],
        ["*"],
        ["https://x.fr; script-src *"],
        ["'self'"],
        ["https://x.fr:99999"],
        ["ftp://x.fr"],
    ],
)
def test_a_setting_that_is_not_a_list_of_origins_stops_the_start(database_configs, origins):
    with pytest.raises(ValueError, match="EMBED_ORIGINS"):
        create_app({**database_configs["sqlite"], "EMBED_ORIGINS": origins})


def test_the_widget_shows_one_event_or_one_kind_and_opens_booking_at_the_top(
    app, client, make_session
):
    film = make_session(kind=EventKind.FILM, title="Film du midi")
    hike = make_session(kind=EventKind.HIKE, title="Randonnée")
    with app.app_context():
        slug = db.session.get(EventSession, film).event.slug
    week = client.get("/embed/").get_data(as_text=True)
    assert f'id="avail-{film}"' in week and f'id="avail-{hike}"' in week
    assert f'href="/sessions/{film}" target="_top"' in week
    assert "site-header" not in week  # no site chrome inside the frame
    # Nothing inside the frame needs a cookie, so none is set (a third-party one would be
    # refused by most browsers anyway).
    assert "Set-Cookie" not in client.get("/embed/").headers
    for query in ("kind=film", f"event={slug}"):
        page = client.get(f"/embed/?{query}").get_data(as_text=True)
        assert f'id="avail-{film}"' in page, query
        assert f'id="avail-{hike}"' not in page, query
    assert client.get("/embed/?event=no-such-event").status_code == 404
    assert client.get("/embed/?kind=opera").status_code == 400


def test_the_host_script_may_be_loaded_by_other_sites(client):
    response = client.get("/embed/host.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert "event.origin" in response.get_data(as_text=True)
    # Everything else stays ours alone.
    assert client.get("/embed/").headers["Cross-Origin-Resource-Policy"] == "same-origin"


@pytest.mark.app_config(BASE_URL="https://minerales.example", EMBED_ORIGINS=[SCHOOL])
def test_the_dashboard_gives_the_snippet_to_copy(organiser):
    page = organiser.get("/admin/").get_data(as_text=True)
    assert "&lt;iframe src=&#34;https://minerales.example/embed/&#34;" in page
    assert "data-minerales-embed" in page
    assert "&lt;script src=&#34;https://minerales.example/embed/host.js&#34; defer" in page
    assert SCHOOL in page


# --- In Chromium: the school's page, on other origins -----------------------------------

HOST_PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>IMT Mines Alès</title></head>
<body><h1>Actualités de l’école</h1><p>Le programme de la semaine&nbsp;:</p>
<iframe src="{src}" title="Minér’Alès : programme et places disponibles" width="600"
        height="150" data-minerales-embed></iframe>
<script src="{script}" defer></script>
<p id="after">Fin de la page.</p></body></html>"""


@pytest.fixture
def school_site(live_server) -> Iterator[Any]:
    """Start stand-ins for other sites' pages framing our pages; yields a starter."""
    servers = []

    def start() -> str:
        """A new site; its page at ``/host/<path>`` frames our ``/<path>``."""

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                src = live_server + self.path.removeprefix("/host")
                script = live_server + "/embed/host.js"
                body = HOST_PAGE.format(src=src, script=script).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def book(client, book_form, session_id: int, seats: int) -> None:
    party = {"name": "Irène Joliot-Curie", "email": "irene@example.fr", "seats": str(seats)}
    response = client.post(f"/sessions/{session_id}", data={**book_form(session_id), **party})
    assert response.status_code in (200, 303), response.status_code


@pytest.mark.browser
@pytest.mark.parametrize("app", ["sqlite"], indirect=True)
def test_an_allowed_site_frames_live_counts_and_books_at_the_top(
    app, client, make_session, book_form, live_server, school_site, page_factory
):
    session_id = make_session(capacity=10, title="Visite des collections")
    make_session(capacity=30, kind=EventKind.FILM, title="Film du midi")
    school = school_site()
    app.config["EMBED_ORIGINS"] = [school]
    page = page_factory(width=900, height=900)
    refused = []
    page.on("console", lambda message: refused.append(message.text))
    page.goto(school + "/host/embed/")
    frame = page.frame_locator("iframe[data-minerales-embed]")
    badge = frame.locator(f"#avail-{session_id} .avail__label")
    expect(badge).to_have_text(re.compile(r"\b10\b"))

    # The host script sized the frame to its content: no inner scroll bar, no blank.
    iframe = page.locator("iframe[data-minerales-embed]")
    expect(iframe).to_have_attribute("style", re.compile(r"height: \d+px"))
    content = frame.locator("#embed").bounding_box()["height"]
    assert content > 150
    inner = iframe.evaluate("frame => frame.clientHeight")  # inside the frame's border
    assert abs(inner - content) <= 1
    # …and to its column's width, without a border of its own.
    assert iframe.evaluate("frame => frame.style.width") == "100%"
    assert iframe.evaluate("frame => getComputedStyle(frame).borderTopWidth") == "0px"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "widget-framed.png"), full_page=True)

    book(client, book_form, session_id, 3)  # someone books meanwhile, elsewhere
    expect(badge).to_have_text(re.compile(r"\b7\b"), timeout=10_000)
    page.screenshot(path=str(SHOTS / "widget-framed-after-booking.png"), full_page=True)
    assert not [text for text in refused if "frame-ancestors" in text]

    # « Réserver » leaves the school's page for ours, in the same tab.
    frame.locator(f"a[href='/sessions/{session_id}']").click()
    expect(page).to_have_url(f"{live_server}/sessions/{session_id}")
    expect(page.locator("h1")).to_contain_text("Visite des collections")


@pytest.mark.browser
@pytest.mark.parametrize("app", ["sqlite"], indirect=True)
def test_a_site_not_listed_is_refused_by_the_browser(
    app, make_session, live_server, school_site, page_factory
):
    make_session(capacity=10)
    allowed = school_site()
    app.config["EMBED_ORIGINS"] = [allowed]
    for other, src in ((school_site(), "/embed/"), (allowed, "/")):
        page = page_factory()
        messages = []
        page.on("console", lambda message, into=messages: into.append(message.text))
        page.goto(f"{other}/host{src}")
        page.wait_for_load_state("load")
        child = page.frames[1]
        expect(page.locator("#after")).to_be_visible()
        page.wait_for_timeout(300)
        # Chromium shows its own error page in place of ours, and says why.
        assert child.locator("main").count() == 0, src
        assert any("frame-ancestors" in text and "blocked" in text for text in messages), messages
        if src == "/embed/":
            page.screenshot(path=str(SHOTS / "widget-refused.png"))


@pytest.mark.browser
@pytest.mark.parametrize("app", ["sqlite"], indirect=True)
def test_the_widget_pages_pass_axe(app, make_session, live_server, page_factory):
    session_id = make_session(capacity=4, title="Visite des collections")
    make_session(capacity=2, kind=EventKind.FILM, title="Film du midi")
    with app.app_context():
        slug = db.session.get(EventSession, session_id).event.slug
    for width in (360, 900):
        for query in ("", "?kind=film", f"?event={slug}", "?kind=hike"):
            page = page_factory(width=width, height=700)
            page.goto(f"{live_server}/embed/{query}")
            assert axe_violations(page) == [], (width, query)
            if not query:
                page.screenshot(path=str(SHOTS / f"widget-{width}.png"), full_page=True)


@pytest.mark.browser
@pytest.mark.parametrize("app", ["sqlite"], indirect=True)
@pytest.mark.app_config(EMBED_ORIGINS=[SCHOOL])
def test_the_dashboard_snippet_passes_axe(app, make_session, live_server, page_factory):
    from app.models import Role
    from app.services.accounts import create_user

    from .conftest import STAFF_PASSWORD

    make_session()
    with app.app_context():
        create_user("orga@mines-ales.fr", Role.ORGANISER, STAFF_PASSWORD, "Orga")
        db.session.commit()
    page = page_factory(width=1280, height=900)
    page.goto(f"{live_server}/login")
    page.get_by_label("Adresse e-mail").fill("orga@mines-ales.fr")
    page.get_by_label("Mot de passe").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(re.compile(r"/admin/?$"))
    snippet = page.get_by_label("Code à copier")
    expect(snippet).to_have_value(re.compile(r"^<iframe src=\"http://127\.0\.0\.1:\d+/embed/\""))
    assert axe_violations(page) == []
    page.locator(".embed-snippet").screenshot(path=str(SHOTS / "dashboard-snippet.png"))
