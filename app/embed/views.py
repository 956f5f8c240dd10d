"""The widget's pages (the week, one event, one kind) and the host page's script."""

from __future__ import annotations

from flask import Response, abort, current_app, render_template, request, send_from_directory

from ..live import live_etag
from ..models import Event, EventKind
from ..public.programme import parse_kind
from ..services import feed, seat_reads
from ..services.programme import group_by_day, list_sessions
from . import bp

# The host script has no fingerprinted URL (other sites copy its address once); an hour
# lets a new version reach them the same day.
HOST_SCRIPT_SECONDS = 3600


def heading(kind: EventKind | None, event: Event | None) -> str:
    """What the widget is about, as its title."""
    return feed.calendar_name(kind, event)


@bp.get("/")
def widget() -> str:
    """The upcoming sessions (all, one kind's or one event's) with live seat counts."""
    kind = parse_kind(request.args.get("kind"))
    reference = request.args.get("event")
    event = feed.find_event(reference) if reference else None
    if reference and event is None:
        abort(404)
    event_id = event.id if event else None
    seat_reads.settle()
    # Read before the rows: they are then at least as new as the version the poll starts from.
    etag = live_etag(kind, event_id, upcoming=True)
    sessions = list_sessions(kind, event_id, upcoming=True, public=True)
    return render_template(
        "embed/widget.html",
        days=group_by_day(sessions),
        kind=kind,
        event=event,
        title=heading(kind, event),
        live_etag=etag,
    )


@bp.get("/host.js")
def host_script() -> Response:
    """The script a host page includes next to the frame: it sets the frame's height."""
    response = send_from_directory(
        current_app.static_folder or "", "js/embed-host.js", max_age=HOST_SCRIPT_SECONDS
    )
    # Loaded by other sites' pages: the one file here they may embed.
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response
