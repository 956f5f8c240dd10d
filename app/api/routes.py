"""URL rules of the API: ``/api/sessions``, ``/api/sessions/<id>`` and ``/healthz``."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, url_for
from sqlalchemy import text

from ..extensions import csrf, db
from ..i18n import iso_local
from ..models import EventSession
from ..ratelimits import api_limit
from ..services import seat_reads
from ..services.programme import BOOKABLE, availability
from . import bp

csrf.exempt(bp)  # read-only: no route here accepts a state-changing method


def session_json(session: EventSession) -> dict[str, Any]:
    """The public facts about a session, as the API shows them."""
    return {
        "id": session.id,
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


@bp.get("/api/sessions")
@api_limit
def sessions() -> Response:
    """Every session of the programme, in date order."""
    return jsonify([session_json(s) for s in seat_reads.sessions()])


@bp.get("/api/sessions/<int:session_id>")
@api_limit
def session(session_id: int) -> Response:
    """One session; 404 (JSON) when it does not exist."""
    return jsonify(session_json(seat_reads.session(session_id)))


@bp.get("/healthz")
def healthz() -> Response:
    """200 after a database round-trip; a database down gives the 503 handler."""
    db.session.execute(text("SELECT 1"))
    return jsonify(status="ok")
