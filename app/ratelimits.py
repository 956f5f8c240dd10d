"""Rate limits per client address: who may ask what, how often.

The limits are read from the settings at request time (``RATELIMIT_BOOKING`` and the
others in app/config.py), so tests and deployments change them without touching code.
Each group is a *shared* limit: every route of a group counts in one bucket per address,
so booking ten different sessions costs the same as booking one session ten times, and
guessing booking tokens costs the same whichever sub-page is tried.

A refused request raises Flask-Limiter's ``RateLimitExceeded`` (a 429); app/errors.py turns
it into the app's own page with ``Retry-After``. Behind a reverse proxy, ``ProxyFix`` (set
by ``PROXY_FIX_X_FOR``) makes ``request.remote_addr`` the visitor's address; without it the
``X-Forwarded-For`` header is ignored, so nobody can choose their own bucket.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from flask import Flask, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

from .extensions import limiter


def _setting(name: str) -> Callable[[], str]:
    """A limit read from the app's settings on every request (tests change them)."""
    return lambda: str(current_app.config[name])


# Booking a session and joining its waiting list (the same form, two buttons).
booking_limit = limiter.shared_limit(
    _setting("RATELIMIT_BOOKING"), scope="booking", methods=["POST"]
)


def _carries_no_group_code() -> bool:
    """A request without a group code (nearly all of them) costs nothing of that limit."""
    return not (request.args.get("code") or request.form.get("group_code"))


# Trying group codes, by link (GET) or by the booking form (POST): slow enough that the
# codes' 128 bits are never worth guessing, and a teacher's few tries always get through.
group_code_limit = limiter.shared_limit(
    _setting("RATELIMIT_GROUP_CODE"), scope="group_code", exempt_when=_carries_no_group_code
)
# Staff sign-in attempts; the page itself (GET) is free.
login_limit = limiter.shared_limit(_setting("RATELIMIT_LOGIN"), scope="login", methods=["POST"])
# A booking's pages: /b/<token> and everything under it (calendar, cancel, offers, erase).
lookup_limit = limiter.shared_limit(_setting("RATELIMIT_LOOKUP"), scope="lookup")
# The JSON API's look-ups.
api_limit = limiter.shared_limit(_setting("RATELIMIT_API"), scope="api")
# The live seat poll has no limit on purpose: its 304 answer (a cached counter) costs less
# than counting it would, in Redis a network round trip on every poll of every open page.


def init_rate_limits(app: Flask) -> None:
    """Trust the configured proxies' headers, then bind the limiter to ``app``."""
    forwarded_for = int(app.config.get("PROXY_FIX_X_FOR") or 0)
    forwarded_proto = int(app.config.get("PROXY_FIX_X_PROTO") or 0)
    if forwarded_for or forwarded_proto:
        # Flask's documented way to add middleware replaces the wsgi_app method on the
        # instance, which its type declares as a method, not an assignable attribute.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=forwarded_for, x_proto=forwarded_proto
        )
    limiter.init_app(app)


def retry_after_seconds(default: int = 60) -> int:
    """Seconds until the limit this request broke lets the client in again (at least 1)."""
    breached = limiter.current_limit
    if breached is None:
        return default
    try:
        seconds = breached.window[0] - time.time()  # when the window ends
    except Exception:  # the storage went away: the whole window is a safe answer
        seconds = breached.limit.get_expiry()
    return max(1, math.ceil(seconds))
