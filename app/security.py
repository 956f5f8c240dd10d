"""What every response carries (CSP, framing, sniffing, referrer, permissions, HSTS) and
the guards every request passes before a view sees it (ids in range, no NUL characters).

No page may be framed by another site (``frame-ancestors 'none'``, ``X-Frame-Options:
DENY``), except the widget's pages under ``/embed/``: the sites in ``EMBED_ORIGINS`` (the
school's) may frame those, and only those. The list is read on each such request, so a
changed setting needs no new policy built anywhere else.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, abort, request
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer
from werkzeug.routing import IntegerConverter, Map

from .assets import HTMX_CDN_ORIGIN

# Ids in URLs are database integers: beyond this PostgreSQL answers "out of range" and
# SQLite's driver overflows, so a larger number is simply not a URL of this site (404).
LARGEST_ID = 2**31 - 1


def content_security_policy(app: Flask, frame_ancestors: str = "'none'") -> str:
    """Build the strict CSP: no inline script or style, no eval, no framing but as told."""
    script_src = ["'self'"]
    if app.config["HTMX_SOURCE"] == "cdn":
        script_src.append(HTMX_CDN_ORIGIN)
    directives = {
        "default-src": ["'self'"],
        "script-src": script_src,
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": [frame_ancestors],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


EMBED_PREFIX = "/embed/"


def is_embed_page(path: str) -> bool:
    """Whether ``path`` is one of the widget's pages, which other sites may frame."""
    return path.startswith(EMBED_PREFIX)


def embed_origin(origin: str) -> str:
    """An origin of ``EMBED_ORIGINS`` as CSP writes it; ValueError for anything else.

    Only ``scheme://host[:port]``: a path, a wildcard or a quote could widen the policy
    (or end the directive and start another).
    """
    parts = urlsplit(origin.strip())
    try:
        port = parts.port
    except ValueError:  # not a number, or out of range
        port = -1
    host = parts.hostname or ""
    valid_host = host.replace(".", "").replace("-", "").isalnum() and host.isascii()
    if (
        port == -1
        or parts.scheme not in ("http", "https")
        or not valid_host
        or parts.username
        or parts.password
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        raise ValueError(f"EMBED_ORIGINS: {origin!r} is not an origin like https://www.example.fr")
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


@lru_cache(maxsize=8)
def embed_policy(app: Flask, origins: tuple[str, ...]) -> str:
    """The CSP of the widget's pages: our own pages and ``origins`` may frame them."""
    ancestors = " ".join(["'self'", *(embed_origin(origin) for origin in origins)])
    return content_security_policy(app, frame_ancestors=ancestors)


def embed_origins(app: Flask) -> tuple[str, ...]:
    """The ``EMBED_ORIGINS`` setting as a tuple (a list, or one comma-separated string)."""
    raw = app.config.get("EMBED_ORIGINS") or ()
    if isinstance(raw, str):
        raw = raw.split(",")
    return tuple(origin.strip() for origin in raw if origin.strip())


def is_door_page(path: str) -> bool:
    """Whether ``path`` belongs to the check-in area, the only one that may use the camera."""
    return path == "/checkin" or path.startswith("/checkin/")


def permissions_policy(path: str) -> str:
    """Powerful browser features are off everywhere; the door pages may use the camera."""
    camera = "(self)" if is_door_page(path) else "()"
    return f"camera={camera}, microphone=(), geolocation=(), payment=(), usb=()"


# Each header as (name, its name in lower case, whether an answer's own value is kept).
_Header = tuple[str, str, bool]
_CSP: _Header = ("Content-Security-Policy", "content-security-policy", True)
_FRAME: _Header = ("X-Frame-Options", "x-frame-options", False)
_SNIFF: _Header = ("X-Content-Type-Options", "x-content-type-options", False)
_REFERRER: _Header = ("Referrer-Policy", "referrer-policy", True)
_PERMISSIONS: _Header = ("Permissions-Policy", "permissions-policy", False)
_OPENER: _Header = ("Cross-Origin-Opener-Policy", "cross-origin-opener-policy", True)
_RESOURCE: _Header = ("Cross-Origin-Resource-Policy", "cross-origin-resource-policy", True)
_HSTS: _Header = ("Strict-Transport-Security", "strict-transport-security", True)


def init_security_headers(app: Flask) -> None:
    """Register the after-request hook that sets the security headers."""
    csp = content_security_policy(app)
    hsts = "max-age=31536000; includeSubDomains" if app.config.get("HSTS") else None
    embed_policy(app, embed_origins(app))  # a malformed EMBED_ORIGINS stops the start
    # Booking pages carry a secret token in their URL: never send it to another site. No
    # other site's window keeps a handle on ours, nor embeds our files.
    last = [(_REFERRER, "same-origin")]
    last += [(_OPENER, "same-origin"), (_RESOURCE, "same-origin")]
    if hsts:
        last.append((_HSTS, hsts))
    pages = {
        door: [
            (_CSP, csp),
            (_FRAME, "DENY"),
            (_SNIFF, "nosniff"),
            *last[:1],
            (_PERMISSIONS, permissions_policy("/checkin" if door else "/")),
            *last[1:],
        ]
        for door in (False, True)
    }

    @app.after_request
    def _security_headers(response: Response) -> Response:
        """Add the headers to every response: pages, errors, static files, 304s, redirects.

        The answer's headers are looked at once: Werkzeug's ``setdefault`` and ``get`` scan
        them and raise an exception for each header that is missing, most of these.
        """
        headers = response.headers
        path = request.path
        if is_embed_page(path):
            # frame-ancestors alone decides; X-Frame-Options cannot name another site.
            wanted = [
                (_CSP, embed_policy(app, embed_origins(app))),
                (_SNIFF, "nosniff"),
                *last[:1],
                (_PERMISSIONS, permissions_policy(path)),
                *last[1:],
            ]
        else:
            wanted = pages[is_door_page(path)]
        present = {name.lower() for name, _value in headers}
        for (name, lowered, keep_own), value in wanted:
            if lowered not in present:
                headers.add(name, value)
            elif not keep_own:
                headers.set(name, value)
        return response


class SignedCookieSessions(SecureCookieSessionInterface):
    """Flask's signed session cookie, its serializer made once per set of keys.

    Flask makes one on every request, to open the session and again to save it, and
    itsdangerous checks each new one by serializing an empty dict: the same work, for the
    same keys, on every request. A changed ``SECRET_KEY`` or ``SECRET_KEY_FALLBACKS``
    makes a new one.
    """

    def __init__(self) -> None:
        self._made: tuple[tuple[Any, ...], URLSafeTimedSerializer] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """The serializer of the app's current keys (None without a secret key)."""
        if not app.secret_key:
            return None
        keys = (*(app.config.get("SECRET_KEY_FALLBACKS") or ()), app.secret_key)
        made = self._made
        if made is None or made[0] != keys:
            serializer = super().get_signing_serializer(app)
            assert serializer is not None  # there is a secret key
            made = self._made = (keys, serializer)
        return made[1]


class DatabaseIdConverter(IntegerConverter):
    """``<int:…>`` that only matches numbers a database id column can hold."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", LARGEST_ID)
        super().__init__(url_map, *args, **kwargs)


def id_arg(values: Any, name: str) -> int | None:
    """An id from the query string or a form: None when absent, 400 when no row could have it.

    URL path ids go through ``DatabaseIdConverter``; ids sent as parameters come here, so
    that a huge number never reaches the database driver (SQLite's overflows: a 500).
    """
    raw = values.get(name)
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except ValueError:
        abort(400)
    if not 0 < value <= LARGEST_ID:
        abort(400)
    return value


def has_nul(values: Any) -> bool:
    """Whether any string of a multi-dict (or the string itself) holds a NUL character."""
    if isinstance(values, str):
        return "\x00" in values
    return any("\x00" in key or "\x00" in value for key, value in values.items(multi=True))


def init_input_guards(app: Flask) -> None:
    """Refuse input no form of this site can produce, before any view or query sees it.

    Call it before the blueprints are registered: the id converter must be known when
    their URL rules are added.
    """
    app.url_map.converters["int"] = DatabaseIdConverter

    @app.before_request
    def _refuse_nul_characters() -> None:
        """A NUL character has no place in a URL or a form, and PostgreSQL rejects it."""
        if has_nul(request.path) or has_nul(request.args):
            abort(400)
        is_form = request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data")
        if request.method == "POST" and is_form and has_nul(request.form):
            abort(400)
