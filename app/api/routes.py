"""URL rules of the API (``/api/...``, described by ``/api/openapi.json``) and ``/healthz``.

The lists answer with a weak ETag built from the live version (app/live.py): the change
counter that moves with everything the programme shows, and the minute, since a
session's booking opens and closes with the clock. A client that sends it back in
``If-None-Match`` gets a bodiless 304 while nothing changed.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, jsonify, request, url_for
from sqlalchemy import text

from ..extensions import csrf, db
from ..i18n import iso_local
from ..live import live_version, poll_scope
from ..models import Event, EventKind, EventSession
from ..ratelimits import api_limit
from ..security import LARGEST_ID
from ..services import organiser, seat_reads
from ..services.programme import BOOKABLE, availability, list_sessions
from . import bp
from .openapi import openapi_document

csrf.exempt(bp)  # read-only: no route here accepts a state-changing method

# Clients may keep a list but must ask again (cheaply, with its ETag) before using it.
LIST_CACHE_CONTROL = "public, no-cache"


def session_json(session: EventSession) -> dict[str, Any]:
    """The public facts about a session, as the API shows them."""
    return {
        "id": session.id,
        "event_id": session.event_id,
        "event": session.event.title,
        "kind": session.event.kind.value,
        "starts_at": iso_local(session.starts_at),
        "ends_at": iso_local(session.ends_at),
        "venue": session.event.venue.name,
        "capacity": session.capacity,
        "seats_left": session.seats_left,
        "waitlist": session.seats_waiting,
        "booking_open": availability(session) in BOOKABLE,
        "cancelled": session.cancelled_at is not None,
        "url": url_for("public.session_detail", session_id=session.id, _external=True),
    }


def event_json(event: Event) -> dict[str, Any]:
    """The public facts about an event and the ids of its sessions, in date order."""
    venue = event.venue
    return {
        "id": event.id,
        "slug": event.slug,
        "kind": event.kind.value,
        "title": event.title,
        "summary": event.summary,
        "venue": {
            "name": venue.name,
            "address": venue.address,
            "city": venue.city,
            "step_free": venue.step_free,
        },
        "sessions": [session.id for session in event.sessions],
        "calendar_url": url_for("public.programme_feed", event=event.slug, _external=True),
    }


def single_arg(name: str) -> str | None:
    """A query parameter given at most once and never empty; 400 otherwise."""
    values = request.args.getlist(name)
    if not values:
        return None
    if len(values) > 1 or not values[0]:
        abort(400)
    return values[0]


def kind_arg() -> EventKind | None:
    """The ``kind`` filter: one of the kinds, or absent."""
    raw = single_arg("kind")
    if raw is None:
        return None
    try:
        return EventKind(raw)
    except ValueError:
        abort(400)


def event_arg() -> int | None:
    """The ``event`` filter: an id a row could have (digits only), or absent."""
    raw = single_arg("event")
    if raw is None:
        return None
    if not raw.isascii() or not raw.isdigit() or not 0 < int(raw) <= LARGEST_ID:
        abort(400)
    return int(raw)


def version_tag(scope: str) -> str:
    """The list's version for ``scope``: equal tags, same answer."""
    version = live_version(scope)
    return f"api-{version.counter}-{version.scope}-{version.minute}"


def not_modified(tag: str) -> Response | None:
    """A 304 when the client already holds version ``tag``."""
    if not request.if_none_match.contains_weak(tag):
        return None
    return with_validators(Response(status=304), tag)


def with_validators(response: Response, tag: str) -> Response:
    """Put the list's ETag and caching rule on ``response``."""
    response.set_etag(tag, weak=True)
    response.headers["Cache-Control"] = LIST_CACHE_CONTROL
    return response


@bp.get("/api/sessions")
@api_limit
def sessions() -> Response:
    """The programme's sessions in date order; optionally one kind's or one event's."""
    kind, event_id = kind_arg(), event_arg()
    seat_reads.settle()  # before the version is read: the tag then counts what settling changed
    tag = version_tag(poll_scope(kind, event_id))
    cached = not_modified(tag)
    if cached is not None:
        return cached
    found = list_sessions(kind, event_id, public=True)
    return with_validators(jsonify([session_json(s) for s in found]), tag)


@bp.get("/api/sessions/<int:session_id>")
@api_limit
def session(session_id: int) -> Response:
    """One session; 404 (JSON) when it does not exist."""
    return jsonify(session_json(seat_reads.session(session_id)))


@bp.get("/api/events")
@api_limit
def events() -> Response:
    """Every event, by title; optionally of one kind."""
    kind = kind_arg()
    tag = version_tag(f"events-{kind.value if kind else 'all'}")
    cached = not_modified(tag)
    if cached is not None:
        return cached
    found = [e for e in organiser.all_events() if kind is None or e.kind == kind]
    return with_validators(jsonify([event_json(e) for e in found]), tag)


@bp.get("/api/events/<int:event_id>")
@api_limit
def event(event_id: int) -> Response:
    """One event; 404 (JSON) when it does not exist."""
    found = organiser.find_event(event_id)
    if found is None:
        abort(404)
    return jsonify(event_json(found))


@bp.get("/api/programme/version")
@api_limit
def programme_version() -> Response:
    """The programme's live version: poll it cheaply, fetch the lists when it moves."""
    seat_reads.settle()
    tag = version_tag("all")
    cached = not_modified(tag)
    if cached is not None:
        return cached
    body = {"version": tag, "poll_seconds": current_app.config["LIVE_POLL_SECONDS"]}
    return with_validators(jsonify(body), tag)


@bp.after_request
def _open_to_other_sites(response: Response) -> Response:
    """Any site's scripts may read the API: it is public, and no answer uses a cookie.

    ``*`` never lets a browser send credentials, so no visitor's session is exposed.
    """
    if request.path.startswith("/api/"):
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = "ETag"
    return response


@bp.get("/api/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 description of everything under /api/."""
    response = jsonify(openapi_document(current_app.config["BASE_URL"]))
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.add_etag()
    response.make_conditional(request)  # a 304 in place when the client holds this version
    return response


@bp.get("/healthz")
def healthz() -> Response:
    """200 after a database round-trip; a database down gives the 503 handler."""
    db.session.execute(text("SELECT 1"))
    return jsonify(status="ok")
