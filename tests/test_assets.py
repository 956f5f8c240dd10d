"""Static files, compression and the language switch: what keeps pages light and bilingual."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ASSET = re.compile(r'(?:href|src)="(/assets/([0-9a-f]{10})/([^"]+))"')


def linked_assets(html: str) -> dict[str, tuple[str, str]]:
    """The fingerprinted files a page links to: ``{filename: (url, digest)}``."""
    return {name: (url, digest) for url, digest, name in ASSET.findall(html)}


def test_pages_link_static_files_by_content_digest(client):
    assets = linked_assets(client.get("/").get_data(as_text=True))
    assert {"css/app.css", "js/app.js", "vendor/htmx.min.js", "favicon.svg"} <= set(assets)
    for name, (_url, digest) in assets.items():
        content = (ROOT / "static" / name).read_bytes()
        assert digest == hashlib.sha256(content).hexdigest()[:10], name


def test_a_fingerprinted_file_is_cached_for_a_year(client):
    url, _digest = linked_assets(client.get("/").get_data(as_text=True))["css/app.css"]
    response = client.get(url)
    assert response.status_code == 200
    assert response.get_data() == (ROOT / "static" / "css/app.css").read_bytes()
    assert response.cache_control.max_age == 365 * 24 * 3600
    assert response.cache_control.immutable
    assert response.mimetype == "text/css"


def test_an_outdated_digest_gets_the_current_file_but_not_for_long(client):
    response = client.get("/assets/0000000000/css/app.css")
    assert response.status_code == 200
    assert response.cache_control.max_age == 60
    assert not response.cache_control.immutable


@pytest.mark.parametrize(
    "path",
    [
        "/assets/0000000000/nothing.css",
        "/assets/0000000000/../app/__init__.py",
        "/assets/0000000000/%2e%2e/%2e%2e/etc/passwd",
        "/assets/0000000000/..%2f..%2fproc/self/status",
        "/assets/0000000000/../../../../dev/zero",
        "/assets/0000000000/css",
    ],
)
def test_unknown_or_escaping_asset_paths_are_404_without_opening_anything(
    client, path, monkeypatch
):
    opened: list[str] = []
    real_read_bytes = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: opened.append(str(self)) or b"")
    assert client.get(path).status_code == 404
    monkeypatch.setattr(Path, "read_bytes", real_read_bytes)
    # The 404 page itself links (and hashes) the real static files; nothing else is read.
    static = str(ROOT / "static") + "/"
    assert [path for path in opened if not path.startswith(static)] == []


def test_a_missing_static_file_does_not_break_the_page(app, client, tmp_path, monkeypatch):
    """Before ``make assets`` (no static/vendor/), pages still render with a plain link."""
    monkeypatch.setattr(app, "static_folder", str(tmp_path))
    response = client.get("/")
    assert response.status_code == 200
    assert 'href="/static/css/app.css"' in response.get_data(as_text=True)


def test_an_edited_static_file_gets_a_new_address(app, client, tmp_path, monkeypatch):
    """Digests are trusted for a moment (RECHECK_SECONDS), then the file is looked at again."""
    from app import assets

    (tmp_path / "css").mkdir()
    stylesheet = tmp_path / "css" / "app.css"
    stylesheet.write_text("body { color: black; }")
    monkeypatch.setattr(app, "static_folder", str(tmp_path))
    monkeypatch.setattr(assets, "RECHECK_SECONDS", 0.0)
    before = linked_assets(client.get("/").get_data(as_text=True))["css/app.css"]

    stylesheet.write_text("body { color: navy; }")
    after = linked_assets(client.get("/").get_data(as_text=True))["css/app.css"]

    assert after[1] != before[1]
    assert after[1] == hashlib.sha256(stylesheet.read_bytes()).hexdigest()[:10]
    assert client.get(after[0]).get_data(as_text=True) == "body { color: navy; }"


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_pages_and_files_are_compressed_for_browsers_that_accept_it(client, make_session, encoding):
    for _ in range(3):
        make_session()
    page = client.get("/", headers={"Accept-Encoding": encoding})
    assert page.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in page.headers["Vary"]
    url, _digest = linked_assets(client.get("/").get_data(as_text=True))["js/app.js"]
    script = client.get(url, headers={"Accept-Encoding": encoding})
    assert script.headers["Content-Encoding"] == encoding
    assert script.content_length < (ROOT / "static/js/app.js").stat().st_size


def test_the_live_poll_still_answers_304_when_compressed(client, make_session):
    for _ in range(8):
        make_session()
    first = client.get("/live/seats", headers={"Accept-Encoding": "br"})
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert etag.startswith('W/"seats-')
    # app.js sends back the tag without its W/ prefix, as a browser's cache would not.
    bare = etag.removeprefix("W/")
    again = client.get("/live/seats", headers={"Accept-Encoding": "br", "If-None-Match": bare})
    assert again.status_code == 304


def test_the_language_switch_comes_back_to_the_same_page_in_english(client, make_session):
    session_id = make_session()
    french = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert '<html lang="fr">' in french
    switch = re.search(r'href="([^"]+)"[^>]*hreflang="en"', french).group(1).replace("&amp;", "&")
    response = client.get(switch)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/sessions/{session_id}"
    cookie = response.headers["Set-Cookie"]
    assert "lang=en" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Max-Age=31536000" in cookie
    english = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert '<html lang="en">' in english
    assert "Book" in english
    # The organisers' French text is marked as such for screen readers.
    assert '<h1 lang="fr">Exposition commentée</h1>' in english
    assert '<h1 lang="fr">' not in french
    # The choice is remembered on every other page, and can be undone.
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)
    client.get("/language/fr?next=/")
    assert '<html lang="fr">' in client.get("/").get_data(as_text=True)


def test_the_browser_language_is_used_until_someone_chooses(client):
    english = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert '<html lang="en">' in english.get_data(as_text=True)
    german = client.get("/", headers={"Accept-Language": "de-DE"})
    assert '<html lang="fr">' in german.get_data(as_text=True)


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)", ""],
)
def test_the_language_switch_never_leaves_the_site(client, target):
    response = client.get("/language/en", query_string={"next": target})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_an_unknown_language_is_404(client):
    assert client.get("/language/de?next=/").status_code == 404


@pytest.mark.app_config(SESSION_COOKIE_SECURE=True)
def test_over_https_the_language_cookie_is_host_bound(client):
    response = client.get("/language/en?next=/", base_url="https://localhost")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-lang=en;")
    assert "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie
    page = client.get("/", base_url="https://localhost", headers={"Cookie": "__Host-lang=en"})
    assert '<html lang="en">' in page.get_data(as_text=True)


def test_the_script_takes_its_words_from_the_page_in_the_page_language(client):
    """static/js/app.js holds no sentence of its own: base.html hands it the catalogue's."""
    script = (ROOT / "static" / "js" / "app.js").read_text(encoding="utf-8")
    assert "Connexion perdue" not in script and "Connection lost" not in script
    english = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert (
        'data-offline-message="Connection lost: nothing was sent. Check the network and try again."'
        in english
    )
    french = client.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert 'data-offline-message="Connexion perdue\u202f: rien n’a été envoyé.' in french
