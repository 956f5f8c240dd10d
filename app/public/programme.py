"""The programme of the week and its live seat counts."""

from __future__ import annotations

from flask import Response, abort, make_response, render_template, request

from ..htmx import is_htmx_request
from ..live import live_etag
from ..models import EventKind
from ..security import id_arg
from ..services import seat_reads
from ..services.programme import group_by_day, list_sessions
from . import bp


def parse_kind(raw: str | None) -> EventKind | None:
    """Read the ``kind`` filter; an unknown value is a 400, not a silent "all"."""
    if not raw:
        return None
    try:
        return EventKind(raw)
    except ValueError:
        abort(400)


@bp.get("/")
def programme() -> str:
    """The programme of the week, grouped by day, optionally filtered by kind."""
    kind = parse_kind(request.args.get("kind"))
    context = {
        "days": group_by_day(seat_reads.sessions(kind)),
        "kind": kind,
        "kinds": list(EventKind),
        "live_etag": live_etag(kind, None),
    }
    if is_htmx_request():
        return render_template("public/_programme.html", **context)
    return render_template("public/programme.html", **context)


@bp.get("/live/seats")
def live_seats() -> Response:
    """Seat badges of a page's sessions, swapped out-of-band by id; 304 when unchanged."""
    kind = parse_kind(request.args.get("kind"))
    event_id = id_arg(request.args, "event")
    # A page that lists only upcoming sessions (a specimen's) asks only for their badges:
    # htmx would complain about badges with nothing to replace.
    upcoming = request.args.get("upcoming") == "1"
    # Settled before the version is read: the ETag then counts what settling changed.
    seat_reads.settle()
    etag = live_etag(kind, event_id, upcoming=upcoming)
    # Weak: the same counts sent compressed or not are the same version for us (and
    # Flask-Compress leaves weak validators alone instead of suffixing the encoding).
    if request.if_none_match.contains_weak(etag):
        response = Response(status=304)
    else:
        sessions = list_sessions(kind, event_id, upcoming=upcoming, public=True)
        response = make_response(render_template("public/_live_seats.html", sessions=sessions))
    response.set_etag(etag, weak=True)
    response.headers["Cache-Control"] = "no-cache"
    response.vary.update(("Cookie", "Accept-Language"))
    return response
