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
    production = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "SQLALCHEMY_ENGINE_OPTIONS": app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}),
        }
    )
    assert production.config["SESSION_COOKIE_SECURE"] is True
    response = production.test_client().get("/")
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
