"""Static files: fingerprinted URLs with a year of caching, compression, and htmx.

Every static file a page links to goes through ``asset_url()``, which puts the first
hex digits of the file's SHA-256 in its path (``/assets/3f2a9c1b07/css/app.css``). A
browser keeps such a file for a year without asking again; a new version has a new
digest, hence a new URL, so nobody ever runs yesterday's CSS with today's page. An old
digest (a page cached before a deployment) still gets the current file, with a short
cache lifetime. ``/static/...`` keeps working, revalidated on each use.

Responses are compressed (Brotli or gzip, whichever the browser takes) by Flask-Compress:
the programme page and its files must stay under 100 KB transferred.

Where the browser gets htmx: a CDN with Subresource Integrity, or our local copy. The
local copy is installed from the npm registry by ``make install`` (see package.json)
into ``static/vendor/``; it is never committed. The test suite checks that the local
file hashes to ``HTMX_SRI``, so the CDN file and the offline file are the same bytes.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
import time
from pathlib import Path

from flask import (
    Flask,
    Response,
    abort,
    current_app,
    has_request_context,
    request,
    send_from_directory,
    url_for,
)
from flask_compress import Compress
from werkzeug.security import safe_join

log = logging.getLogger(__name__)
ASSET_CACHE_SECONDS = 365 * 24 * 3600
DIGEST_LENGTH = 10
compress = Compress()

HTMX_VERSION = "2.0.11"
HTMX_CDN_ORIGIN = "https://cdn.jsdelivr.net"
HTMX_CDN_URL = f"{HTMX_CDN_ORIGIN}/npm/htmx.org@{HTMX_VERSION}/dist/htmx.min.js"
HTMX_SRI = "sha384-2OatzQy1H+Zd/IIrjr1TcuDGqLXeHhbooAyJY1KdQMKnr4LZ22k31GBLdYKHmVjg"
HTMX_LOCAL_PATH = "vendor/htmx.min.js"


def door_page() -> bool:
    """Whether this request is for the door tablet's pages (kept for offline use)."""
    return has_request_context() and request.blueprint == "checkin"


def htmx_script() -> dict[str, str | None]:
    """Return the ``src`` and ``integrity`` of the htmx script tag for this page.

    The door's pages always take the local copy: a tablet that lost the network keeps it
    with the rest of the door's files, which a CDN's answer could not be.
    """
    if current_app.config["HTMX_SOURCE"] == "cdn" and not door_page():
        return {"src": HTMX_CDN_URL, "integrity": HTMX_SRI}
    return {"src": asset_url(HTMX_LOCAL_PATH), "integrity": None}


def static_file(filename: str) -> Path | None:
    """The static file ``filename`` names, or None when it is not a file under ``static/``.

    ``safe_join`` refuses ``..`` and absolute paths, so nothing outside the folder is
    ever opened, and only regular files count (never ``/dev/zero`` through a symlink).
    """
    joined = safe_join(current_app.static_folder or "", filename)
    if joined is None or not os.path.isfile(joined):
        return None
    return Path(joined)


# Every page links four static files: their digests are trusted for this long before the
# file is looked at again (two system calls each), so an edited file shows within a second.
RECHECK_SECONDS = 1.0


def file_digest(filename: str) -> str | None:
    """The short SHA-256 of a static file, computed once per file version and process."""
    digests: dict[str, tuple[float, float, int, str]] = current_app.extensions.setdefault(
        "minerales_asset_digests", {}
    )
    known = digests.get(filename)
    now = time.monotonic()
    if known and now - known[0] < RECHECK_SECONDS:
        return known[3]
    path = static_file(filename)
    if path is None:
        digests.pop(filename, None)
        return None
    stat = path.stat()
    if known and known[1:3] == (stat.st_mtime, stat.st_size):
        digest = known[3]
    else:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:DIGEST_LENGTH]
    digests[filename] = (now, stat.st_mtime, stat.st_size, digest)
    return digest


def asset_url(filename: str) -> str:
    """The fingerprinted URL of a static file (see the module's docstring).

    A file missing from this installation (``static/vendor/`` before ``make assets``)
    must not break the page that links it: it gets its plain ``/static/`` address, and
    the log says what is missing.
    """
    digest = file_digest(filename)
    if digest is None:
        log.warning("static file %s is missing (run 'make assets')", filename)
        return url_for("static", filename=filename)
    return url_for("asset", digest=digest, filename=filename)


def serve_asset(digest: str, filename: str) -> Response:
    """Serve a static file; cache it for a year when its digest is the current one."""
    current = file_digest(filename)
    if current is None:
        abort(404)
    max_age = ASSET_CACHE_SECONDS if digest == current else 60
    response = send_from_directory(current_app.static_folder or "", filename, max_age=max_age)
    # Read the (small) file now so that compression sends it whole, with its length,
    # rather than as a chunked stream.
    response.direct_passthrough = False
    response.make_sequence()
    if digest == current:
        response.cache_control.immutable = True
        response.cache_control.public = True
    return response


# What nginx also gets a compressed copy of (gzip_static), written once at deployment.
PRECOMPRESSED_SUFFIXES = (".css", ".js", ".svg", ".json", ".txt", ".html")


def collect_assets(folder: Path) -> int:
    """Copy every static file to ``folder/assets/<digest>/<path>`` (and ``.gz`` beside it).

    The layout is the fingerprinted URL's, so nginx serves ``/assets/...`` straight from
    ``folder``. Copies of earlier versions are kept: a page rendered before a deployment
    still finds its own files. Returns how many files were copied.
    """
    static = Path(current_app.static_folder or "")
    written = 0
    for path in sorted(static.rglob("*")):
        if not path.is_file() or path.name.startswith("."):
            continue
        name = path.relative_to(static).as_posix()
        digest = file_digest(name)
        if digest is None:
            continue
        target = folder / "assets" / digest / name
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        content = path.read_bytes()
        target.write_bytes(content)
        if path.suffix in PRECOMPRESSED_SUFFIXES:
            target.with_name(target.name + ".gz").write_bytes(gzip.compress(content, 9))
        written += 1
    return written


def init_assets(app: Flask) -> None:
    """Mount the fingerprinted route, turn compression on and expose the helpers."""
    app.add_url_rule(
        f"/assets/<string(length={DIGEST_LENGTH}):digest>/<path:filename>",
        endpoint="asset",
        view_func=serve_asset,
    )
    app.config.setdefault(
        "COMPRESS_MIMETYPES",
        [
            "text/html",
            "text/css",
            "text/javascript",
            "application/javascript",
            "application/json",
            "image/svg+xml",
            "text/csv",
            "text/calendar",
        ],
    )
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    compress.init_app(app)
