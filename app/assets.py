"""Where the browser gets htmx: a CDN with Subresource Integrity, or our local copy.

The local copy is installed from the npm registry by ``make install`` (see package.json)
into ``static/vendor/``; it is never committed. The test suite checks that the local
file hashes to ``HTMX_SRI``, so the CDN file and the offline file are the same bytes.
"""

from __future__ import annotations

from flask import Flask, url_for

HTMX_VERSION = "2.0.11"
HTMX_CDN_ORIGIN = "https://cdn.jsdelivr.net"
HTMX_CDN_URL = f"{HTMX_CDN_ORIGIN}/npm/htmx.org@{HTMX_VERSION}/dist/htmx.min.js"
HTMX_SRI = "sha384-2OatzQy1H+Zd/IIrjr1TcuDGqLXeHhbooAyJY1KdQMKnr4LZ22k31GBLdYKHmVjg"
HTMX_LOCAL_PATH = "vendor/htmx.min.js"


def htmx_script() -> dict[str, str | None]:
    """Return the ``src`` and ``integrity`` of the htmx script tag for this app."""
    from flask import current_app

    if current_app.config["HTMX_SOURCE"] == "cdn":
        return {"src": HTMX_CDN_URL, "integrity": HTMX_SRI}
    return {"src": url_for("static", filename=HTMX_LOCAL_PATH), "integrity": None}


def init_assets(app: Flask) -> None:
    """Expose ``htmx_script()`` to the templates."""
    app.jinja_env.globals["htmx_script"] = htmx_script
