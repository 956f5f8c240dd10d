"""Security from the first template: headers, cookies, CSRF, htmx integrity."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import pytest

from app import create_app
from app.assets import HTMX_CDN_URL, HTMX_LOCAL_PATH, HTMX_SRI, HTMX_VERSION

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "path", ["/", "/sessions/1", "/api/sessions", "/healthz", "/does-not-exist"]
)
def test_every_response_carries_the_strict_headers(client, make_session, path):
    make_session()
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]


def test_pages_have_no_inline_script_or_style(client, make_session):
    session_id = make_session()
    for path in ("/", f"/sessions/{session_id}"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>" not in html and "<style" not in html and " style=" not in html
        assert "hx-on" not in html and "onclick" not in html
        config = html.split('name="htmx-config" content=\'')[1].split("'")[0]
        settings = json.loads(config)
        assert settings["allowEval"] is False and settings["includeIndicatorStyles"] is False


def test_session_cookie_is_httponly_and_lax(client, make_session):
    session_id = make_session()
    response = client.get(f"/sessions/{session_id}")  # the form's CSRF token lives in the session
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_cookies_are_secure_and_htmx_comes_from_the_cdn_with_sri(monkeypatch, app):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    monkeypatch.setenv("BASE_URL", "https://minerales.example")
    production = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "SQLALCHEMY_ENGINE_OPTIONS": app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}),
        }
    )
    assert production.config["SESSION_COOKIE_SECURE"] is True
    response = production.test_client().get("/", base_url="https://minerales.example")
    html = response.get_data(as_text=True)
    assert f'src="{HTMX_CDN_URL}"' in html and f'integrity="{HTMX_SRI}"' in html
    assert "https://cdn.jsdelivr.net" in response.headers["Content-Security-Policy"]
    assert "max-age=" in response.headers["Strict-Transport-Security"]


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()


def test_the_local_htmx_is_the_cdn_file_byte_for_byte():
    """The SRI pinned for the CDN matches the copy installed from the npm registry."""
    local = ROOT / "static" / HTMX_LOCAL_PATH
    assert local.exists(), "run 'make install' (npm ci copies htmx into static/vendor)"
    digest = base64.b64encode(hashlib.sha384(local.read_bytes()).digest()).decode()
    assert f"sha384-{digest}" == HTMX_SRI
    pinned = json.loads((ROOT / "package.json").read_text())["dependencies"]["htmx.org"]
    assert pinned == HTMX_VERSION


def test_tests_use_the_local_htmx(client):
    html = client.get("/").get_data(as_text=True)
    assert re.search(r'src="/assets/[0-9a-f]{10}/vendor/htmx\.min\.js"', html)
    assert "integrity=" not in html


def test_get_requests_never_change_seats(app, client, make_session):
    """GET on every public page leaves the ledger alone (no state change on GET)."""
    from app.extensions import db
    from app.models import EventSession

    session_id = make_session(capacity=5)
    for path in ("/", f"/sessions/{session_id}", "/live/seats", "/api/sessions"):
        client.get(path)
    with app.app_context():
        assert db.session.get(EventSession, session_id).version == 0


# ---------------------------------------------------------------------------------------
# Production: cookies with the __Host- prefix, HSTS everywhere, CSRF and sign-in still work.

PARTY = {"name": "Marie Curie", "email": "marie@example.fr", "seats": "1"}
SITE = "https://minerales.example"


@pytest.fixture
def production(monkeypatch, app):
    """The app as APP_ENV=production builds it, on the test database (limits off)."""
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    monkeypatch.setenv("RATELIMIT_ENABLED", "false")
    monkeypatch.setenv("BASE_URL", SITE)
    production = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "SQLALCHEMY_ENGINE_OPTIONS": app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}),
        }
    )
    yield production
    from app.extensions import db

    with production.app_context():
        db.engine.dispose()


def cookie_attributes(set_cookie: str) -> tuple[str, set[str]]:
    """The cookie's name and its attributes, lower-cased."""
    name = set_cookie.split("=", 1)[0]
    return name, {part.strip().lower() for part in set_cookie.split(";")[1:]}


def test_production_session_cookie_is_host_prefixed_and_csrf_still_works(production, make_session):
    from .helpers import form_fields

    session_id = make_session(capacity=5)
    browser = production.test_client()
    page = browser.get(f"/sessions/{session_id}", base_url=SITE)
    name, attributes = cookie_attributes(page.headers["Set-Cookie"])
    assert name == "__Host-session"
    assert {"secure", "httponly", "samesite=lax", "path=/"} <= attributes
    assert not any(a.startswith("domain=") for a in attributes)  # __Host- forbids a Domain
    fields = form_fields(page.get_data(as_text=True))
    referer = {"Referer": f"{SITE}/sessions/{session_id}"}  # HTTPS: Flask-WTF checks it

    booked = browser.post(
        f"/sessions/{session_id}", data={**fields, **PARTY}, base_url=SITE, headers=referer
    )
    assert booked.status_code == 303
    stranger = production.test_client()  # the same form without its session cookie
    refused = stranger.post(
        f"/sessions/{session_id}", data={**fields, **PARTY}, base_url=SITE, headers=referer
    )
    assert refused.status_code == 400


def test_production_staff_sign_in_lives_in_the_host_prefixed_cookie(production):
    from app.extensions import db
    from app.models import Role
    from app.services.accounts import create_user

    from .helpers import form_fields

    with production.app_context():
        create_user("admin@mines-ales.fr", Role.ADMIN, "a-long-enough-password", "Admin")
        db.session.commit()
    browser = production.test_client()
    fields = form_fields(browser.get("/login", base_url=SITE).get_data(as_text=True))
    response = browser.post(
        "/login",
        data={**fields, "email": "admin@mines-ales.fr", "password": "a-long-enough-password"},
        base_url=SITE,
        headers={"Referer": f"{SITE}/login"},
    )
    assert response.status_code == 303
    assert all(
        cookie_attributes(c)[0].startswith("__Host-")
        for c in response.headers.getlist("Set-Cookie")
    )
    assert browser.get("/admin/", base_url=SITE).status_code == 200


def test_production_sends_hsts_on_pages_errors_and_304s(production):
    browser = production.test_client()
    page = browser.get("/", base_url=SITE)
    poll = browser.get("/live/seats", base_url=SITE)
    answers = [
        page,
        browser.get("/nowhere", base_url=SITE),
        poll,
        browser.get("/live/seats", base_url=SITE, headers={"If-None-Match": poll.headers["ETag"]}),
    ]
    assert [a.status_code for a in answers] == [200, 404, 200, 304]
    for answer in answers:
        assert "max-age=" in answer.headers["Strict-Transport-Security"]
        assert answer.headers["X-Content-Type-Options"] == "nosniff"


# ---------------------------------------------------------------------------------------
# Error pages: our own, in French and English, never a traceback.


def test_the_error_pages_are_ours_in_french_and_in_english(app, client, make_session):
    make_session()
    cases = {
        400: lambda headers: client.get("/?kind=nonsense", headers=headers),
        404: lambda headers: client.get("/nowhere", headers=headers),
        405: lambda headers: client.put("/", headers=headers),
    }
    for status, call in cases.items():
        french = call({"Accept-Language": "fr"})
        english = call({"Accept-Language": "en"})
        assert french.status_code == english.status_code == status
        assert f"Erreur {status}" in french.get_data(as_text=True)
        assert f"Error {status}" in english.get_data(as_text=True)
        assert '<html lang="en"' in english.get_data(as_text=True)
    assert "Page not found" in client.get("/nowhere", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )


def test_403_and_503_are_ours_in_both_languages(app, client, staff_login):
    from sqlalchemy.exc import OperationalError

    def locked() -> str:
        """A view whose database stays locked past the timeout."""
        raise OperationalError("UPDATE event_session", {}, Exception("database is locked"))

    app.add_url_rule("/locked", view_func=locked)
    staff_login(client, "organiser")
    for language, forbidden, busy in (
        ("fr", "Accès refusé", "Service momentanément indisponible"),
        ("en", "Access denied", "Service temporarily unavailable"),
    ):
        headers = {"Accept-Language": language}
        refused = client.get("/admin/audit", headers=headers)  # admins only
        assert refused.status_code == 403 and forbidden in refused.get_data(as_text=True)
        unavailable = client.get("/locked", headers=headers)
        assert unavailable.status_code == 503 and busy in unavailable.get_data(as_text=True)
        assert unavailable.headers["Retry-After"] == "5"
        assert "database is locked" not in unavailable.get_data(as_text=True)


def test_a_crash_shows_our_500_page_without_the_traceback_even_in_production(production):
    def broken() -> str:
        """A view with a bug."""
        raise ZeroDivisionError("secret detail of the bug")

    production.add_url_rule("/broken", view_func=broken)
    for language, title in (("fr", "Erreur du serveur"), ("en", "Server error")):
        response = production.test_client().get(
            "/broken", base_url=SITE, headers={"Accept-Language": language}
        )
        html = response.get_data(as_text=True)
        assert response.status_code == 500
        assert title in html
        assert "Traceback" not in html and "secret detail" not in html
        assert "ZeroDivisionError" not in html
        assert "Content-Security-Policy" in response.headers


@pytest.mark.app_config(MAX_CONTENT_LENGTH=4096)
def test_a_body_over_the_size_limit_gets_our_413_and_stores_nothing(app, client, make_session):
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import Booking

    from .helpers import form_fields

    session_id = make_session()
    fields = form_fields(client.get(f"/sessions/{session_id}").get_data(as_text=True))
    data = {**fields, **PARTY, "accessibility_needs": "x" * 10_000}
    for language, title in (("fr", "Envoi trop volumineux"), ("en", "Request too large")):
        response = client.post(
            f"/sessions/{session_id}", data=data, headers={"Accept-Language": language}
        )
        assert response.status_code == 413
        assert title in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Booking)) == 0


# ---------------------------------------------------------------------------------------
# No enumeration; input no form can produce never reaches a query.


def test_a_booking_opens_only_with_its_token(app, client, make_session):
    from app.extensions import db
    from app.services import booking as booking_service

    session_id = make_session()
    with app.app_context():
        booking = booking_service.book(
            booking_service.BookingRequest(session_id, "Marie", "marie@example.fr", 1)
        )
        db.session.commit()
        token, code, booking_id = booking.token, booking.ticket_code, booking.id

    def main_part(response) -> str:
        """The page's content (the language switch in the header repeats the path)."""
        html = response.get_data(as_text=True)
        return html[html.index("<main") : html.index("</main>")]

    assert client.get(f"/b/{token}").status_code == 200
    unknown = client.get(f"/b/{'A' * len(token)}")
    for guess in (code, code.replace("-", ""), str(booking_id)):
        assert client.get(f"/b/{guess}").status_code == 404
    for near_miss in (token[:-1] + "!", token.swapcase(), token + "x"):
        answer = client.get(f"/b/{near_miss}")
        assert answer.status_code == 404
        # A near miss looks exactly like a wild guess.
        assert main_part(answer) == main_part(unknown)


def test_ids_beyond_what_a_database_holds_are_404_not_500(client, make_session):
    make_session()
    huge = "9" * 30
    assert client.get(f"/sessions/{huge}").status_code == 404
    api = client.get(f"/api/sessions/{huge}")
    assert api.status_code == 404 and api.is_json
    assert client.get(f"/live/seats?event={huge}").status_code == 400
    assert client.get("/live/seats?event=2147483648").status_code == 400


def test_nul_characters_are_refused_before_any_view(app, client, make_session):
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import Booking

    from .helpers import form_fields

    session_id = make_session()
    fields = form_fields(client.get(f"/sessions/{session_id}").get_data(as_text=True))
    response = client.post(f"/sessions/{session_id}", data={**fields, **PARTY, "name": "A\x00B"})
    assert response.status_code == 400
    assert client.get("/?kind=visit%00").status_code == 400
    assert client.get(f"/b/{'a' * 30}%00{'b' * 12}").status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Booking)) == 0


@pytest.mark.parametrize(
    ("role", "method", "path", "data"),
    [
        ("organiser", "get", "/admin/messages?session=99999999999999", None),
        ("organiser", "get", "/admin/messages?event=-3", None),
        ("checkin", "post", "/checkin/check-ins/1/undo", {"session": "99999999999999"}),
        ("checkin", "post", "/checkin/standby/1/leave", {"session": "1e400"}),
    ],
)
def test_ids_sent_as_parameters_beyond_any_row_are_400_not_500(
    client, staff_login, role, method, path, data
):
    from .helpers import form_fields

    staff_login(client, role)
    if data is not None:
        fields = form_fields(client.get("/checkin/").get_data(as_text=True))
        data = {"csrf_token": fields.get("csrf_token", ""), **data}
    response = getattr(client, method)(path, data=data)
    assert response.status_code == 400


# ---------------------------------------------------------------------------------------
# Production: links in mail and the Host header come from the configured public address.


def test_production_refuses_to_start_without_a_public_address(monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    monkeypatch.delenv("BASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="BASE_URL"):
        create_app()
    monkeypatch.setenv("BASE_URL", "minerales.example")  # no scheme: links would be broken
    with pytest.raises(RuntimeError, match="BASE_URL"):
        create_app()


def test_production_answers_400_to_a_host_it_does_not_serve(production):
    browser = production.test_client()
    assert browser.get("/", base_url=SITE).status_code == 200
    for forged in ("https://evil.example", "https://minerales.example.evil.example"):
        response = browser.get("/", base_url=forged)
        assert response.status_code == 400, forged
        assert "evil.example" not in response.get_data(as_text=True)
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert browser.get("/healthz", base_url="http://127.0.0.1:8000").status_code == 400


def test_production_also_serves_the_hosts_listed_in_trusted_hosts(monkeypatch, production):
    monkeypatch.setenv("TRUSTED_HOSTS", "www.minerales.example, 127.0.0.1")
    extra = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": production.config["SQLALCHEMY_DATABASE_URI"],
            "SQLALCHEMY_ENGINE_OPTIONS": production.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}),
        }
    )
    browser = extra.test_client()
    assert browser.get("/", base_url="https://www.minerales.example").status_code == 200
    assert browser.get("/healthz", base_url="http://127.0.0.1:8000").status_code == 200
    assert browser.get("/", base_url=SITE).status_code == 200
    assert browser.get("/", base_url="https://evil.example").status_code == 400
    from app.extensions import db

    with extra.app_context():
        db.engine.dispose()


def test_a_new_secret_key_ends_the_old_sessions_unless_kept_as_a_fallback(app, client):
    # The session cookie's serializer is made once per set of keys (app/security.py).
    @app.get("/test-remember")
    def remember() -> str:
        from flask import session

        session["seen"] = "yes"
        return "noted"

    @app.get("/test-recall")
    def recall() -> str:
        from flask import session

        return str(session.get("seen", "no"))

    client.get("/test-remember")
    assert client.get("/test-recall").get_data(as_text=True) == "yes"
    old = app.secret_key
    app.secret_key = "another-secret"
    app.config["SECRET_KEY_FALLBACKS"] = [old]
    assert client.get("/test-recall").get_data(as_text=True) == "yes"
    app.config["SECRET_KEY_FALLBACKS"] = []
    assert client.get("/test-recall").get_data(as_text=True) == "no"
