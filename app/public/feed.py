"""The programme as a calendar feed: ``/programme.ics``, whole or one event's or kind's."""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

from flask import Response, abort, current_app, request, url_for

from ..models import EventSession
from ..services import feed
from . import bp
from .programme import parse_kind

# Calendar apps fetch on their own schedule (the feed asks for hourly); a few minutes of
# caching spares us a burst of subscribers fetching at once.
FEED_CACHE_CONTROL = "public, max-age=300"


def session_url(session: EventSession) -> str:
    """The session's public page, at the site's public address."""
    return current_app.config["BASE_URL"].rstrip("/") + url_for(
        "public.session_detail", session_id=session.id
    )


@bp.get("/programme.ics")
def programme_feed() -> Response:
    """The sessions as iCalendar; ``?event=<slug or id>`` and ``?kind=`` narrow it down."""
    kind = parse_kind(request.args.get("kind"))
    reference = request.args.get("event")
    event = feed.find_event(reference) if reference else None
    if reference and event is None:
        abort(404)
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"
    body = feed.programme_ics(kind, event, host=host, session_url=session_url)
    # The body is the version: equal bytes, equal tag, whichever worker built them.
    tag = hashlib.sha256(body).hexdigest()[:20]
    if request.if_none_match.contains_weak(tag):
        response = Response(status=304)
    else:
        response = Response(body, mimetype="text/calendar")
        response.headers["Content-Disposition"] = 'inline; filename="minerales.ics"'
    response.set_etag(tag, weak=True)
    response.headers["Cache-Control"] = FEED_CACHE_CONTROL
    response.vary.update(("Cookie", "Accept-Language"))
    return response
