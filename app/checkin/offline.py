"""The door tablet offline: the day's data, the sync of actions taken offline, the app files.

* ``/checkin/day``: the sessions of the door's days with who may come, as JSON, with an
  ETag (the tablet polls it every few seconds; nothing changed: 304, no body);
* ``/checkin/sync``: a batch of actions taken offline, applied in order, each answered;
* ``/checkin/sw.js`` and ``/checkin/manifest.webmanifest``: the service worker (scope
  ``/checkin/``) and the installable app's manifest.

All of them sit behind the blueprint's guard: signed out, the tablet is sent to /login
(``fetch`` sees a redirect) and wipes what it kept.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from flask import current_app, jsonify, make_response, request, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from werkzeug.wrappers import Response

from ..assets import HTMX_LOCAL_PATH, asset_url
from ..htmx import is_htmx_request
from ..i18n import clock, current_language, full_date, gettext
from ..models import CheckIn, StandbyEntry, StandbyStatus
from ..services import checkin, questions
from ..services.checkin import day as door_data
from ..services.checkin import sync as door_sync
from . import bp
from .routes import actor, welcome
from .steps import BadBatch, read_steps
from .texts import door_texts

# The scripts of the door pages, in the order the pages load them.
DOOR_SCRIPTS = (
    "js/checkin/store.js",
    "js/checkin/local.js",
    "js/checkin/board.js",
    "js/checkin/main.js",
    "js/checkin/camera.js",
)
SERVICE_WORKER = "js/checkin-sw.js"
# Endpoints whose pages the service worker keeps for offline use.
OFFLINE_PAGES = frozenset({"checkin.index", "checkin.session_page"})


def iso(moment: datetime | None) -> str | None:
    """A UTC time for the tablet's script."""
    return moment.isoformat(timespec="seconds") if moment else None


def last_check_in(entry: CheckIn | None) -> dict[str, Any] | None:
    """The latest check-in of a party: for "undo" and "in at 14 h 02 by…"."""
    if entry is None:
        return None
    return {
        "id": entry.id,
        "seats": entry.seats,
        "at": iso(entry.at),
        "time": clock(entry.at),
        "by": entry.by,
    }


def session_json(data: door_data.DoorSessionData) -> dict[str, Any]:
    """One session of the day as the tablet keeps it."""
    session = data.session
    return {
        "id": session.id,
        "title": session.event.title,
        "starts_at": iso(session.starts_at),
        "ends_at": iso(session.ends_at),
        "when": full_date(session.starts_at),
        "capacity": session.capacity,
        "free": session.seats_free,
        "waiting": session.seats_waiting,
        "cancelled": session.cancelled_at is not None,
        "door_may_take_seats": data.door_may_take_seats,
        "booking_closed": data.booking_closed,
        "closes": clock(data.closes_at),
        "bookings": [
            {
                "id": b.id,
                "name": b.name,
                "seats": b.seats,
                "code": b.ticket_code,
                "status": b.status.value,
                "in": b.checked_in_seats,
                "needs": b.accessibility_needs,
                # The party's answers to the event's questions, on one short line.
                "answers": questions.answers_text(data.answers.get(b.id, [])),
                "walk_in": b.source == "walkin",
                "last": last_check_in(data.last_check_ins.get(b.id)),
            }
            for b in data.bookings
        ],
        "refused": [{"code": b.ticket_code, "status": b.status.value} for b in data.refused],
        # Once booking has closed: the waiting list's parties, who may wait at the door.
        "waiting_list": [
            {
                "id": b.id,
                "name": b.name,
                "seats": b.seats,
                "code": b.ticket_code,
                "needs": b.accessibility_needs,
                "rank": data.waiting_ranks[b.id],
                "at_door": b.id in data.at_the_door,
            }
            for b in data.waiting
        ],
        "standby": [
            {
                "id": p.entry.id,
                "name": p.entry.name,
                "seats": p.seats,
                "time": clock(p.entry.arrived_at),
                "booking": p.entry.booking_id,
                "rank": p.list_rank,
                "held": p.held,
            }
            for p in data.standby
        ],
    }


@bp.get("/day")
def day() -> Response:
    """The door's days as JSON; 304 when the tablet already has this version.

    The ETag is ``<version>.<digest>``: the version (``day_version``: the change counter,
    the days, the minute; with who asks and in which language) is read first, and a tablet
    that has it gets a 304 without the day being built. A new version is built, and if
    its content is what the tablet has (only the minute moved), still a 304, with the new
    version. Weak, so that compression leaves it as it is (a strong one gets the encoding
    appended, and would never match again).
    """
    version = hashlib.sha256(
        f"{door_data.day_version()}|{current_user.id}|{actor()}|{current_language()}".encode()
    ).hexdigest()[:16]
    known = request.if_none_match.as_set(include_weak=True)
    same = next((tag for tag in known if tag.split(".")[0] == version), None)
    if same is not None:
        return day_answer(Response(status=304), same)
    data = door_data.day_data()
    body = {
        "user": actor(),
        "language": current_language(),
        "days": [d.isoformat() for d in data.days],
        "keep_until": iso(data.keep_until),
        "sessions": [session_json(s) for s in data.sessions],
    }
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    # The content's own digest: any change a tablet must see changes it.
    digest = hashlib.sha256(text.encode()).hexdigest()[:20]
    if any(tag.split(".")[-1] == digest for tag in known):
        return day_answer(Response(status=304), f"{version}.{digest}")
    response = make_response(text)
    response.mimetype = "application/json"
    return day_answer(response, f"{version}.{digest}")


def day_answer(response: Response, etag: str) -> Response:
    """The day's answer (200 or 304): its version, never shared, and the sync's token."""
    response.set_etag(etag, weak=True)
    response.headers["Cache-Control"] = "private, no-cache"
    response.vary.update(("Cookie", "Accept-Language"))
    # Outside the version (it changes with every call): the sync's token, even on a 304.
    response.headers["X-CSRF-Token"] = generate_csrf()
    return response


def outcome_json(outcome: door_sync.StepOutcome) -> dict[str, Any]:
    """What the tablet is told about one of its actions."""
    step, made, error = outcome.step, outcome.made, outcome.error
    answer: dict[str, Any] = {"nonce": step.nonce, "kind": step.kind}
    if error is not None:
        answer.update(outcome="refused", code=error.code, message=error.message())
        return answer
    answer["outcome"] = "done"
    if isinstance(made, StandbyEntry):
        admitted = made.status is StandbyStatus.ADMITTED
        if step.kind == "leave":
            answer["message"] = gettext("Retiré de la file de la porte.")
        elif admitted:
            answer["message"] = gettext("Des places étaient libres : entrée enregistrée.")
        elif step.kind == "join" and made.booking is not None:
            answer["message"] = gettext(
                "Ajouté à l’attente à l’entrée : n° %(num)d de la file.",
                num=checkin.standby_place(made.booking) or 0,
            )
        else:
            answer["message"] = gettext("Ajouté à la file d’attente de la porte.")
    elif isinstance(made, CheckIn):
        answer["check_in"] = made.id
        answer["message"] = (
            gettext("Entrée annulée : %(name)s.", name=made.booking.name)
            if step.kind == "undo"
            else welcome(made)
        )
    return answer


@bp.post("/sync")
def sync() -> Response:
    """Apply a tablet's actions in order; answer each one's outcome, in the same order."""
    try:
        steps = read_steps(request.get_json(silent=True))
    except BadBatch as error:
        return json_response({"error": error.message}, 422)
    outcomes = door_sync.apply_batch(steps, actor=actor())
    return json_response({"results": [outcome_json(o) for o in outcomes]})


def json_response(body: dict[str, Any], status: int = 200) -> Response:
    """JSON in UTF-8 (the messages are French), never kept by a cache."""
    response = make_response(json.dumps(body, ensure_ascii=False), status)
    response.mimetype = "application/json"
    response.headers["Cache-Control"] = "no-store"
    return response


def offline_assets() -> list[str]:
    """The fingerprinted files a door page needs, for the service worker to keep."""
    files = ["css/app.css", "js/app.js", "favicon.svg", "vendor/jsQR.js", *DOOR_SCRIPTS]
    files.append(HTMX_LOCAL_PATH)  # the door's pages never take htmx from the CDN
    return [asset_url(name) for name in files]


@bp.get("/sw.js")
def service_worker() -> Response:
    """The service worker, with the files to keep and a version named after them.

    A new version of any of these files (or of the worker) gives a new version name, so
    the browser installs the new worker, which drops the old caches.
    """
    with open(f"{current_app.static_folder}/{SERVICE_WORKER}", encoding="utf-8") as source:
        code = source.read()
    assets = offline_assets()
    version = hashlib.sha256("\n".join([code, *assets]).encode()).hexdigest()[:12]
    config = {"version": version, "assets": assets, "home": url_for(".index")}
    response = make_response(f"self.DOOR_CONFIG = {json.dumps(config)};\n{code}")
    response.mimetype = "text/javascript"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/manifest.webmanifest")
def manifest() -> Response:
    """The installable check-in app: opens on the door's home page, scoped to /checkin/."""
    home = url_for(".index")
    response = jsonify(
        name=gettext("Minér’Alès — Accueil"),
        short_name=gettext("Accueil"),
        lang=current_language(),
        start_url=home,
        scope=home,
        display="standalone",
        background_color="#ffffff",
        theme_color="#1f3a5f",
        icons=[{"src": asset_url("favicon.svg"), "sizes": "any", "type": "image/svg+xml"}],
    )
    response.mimetype = "application/manifest+json"
    return response


@bp.context_processor
def offline_app() -> dict[str, Any]:
    """What the door templates need to start the offline app (templates/checkin/_offline.html)."""
    return {"door_texts": door_texts, "door_scripts": DOOR_SCRIPTS}


@bp.after_request
def door_page_caching(response: Response) -> Response:
    """Door pages may be kept by the tablet's service worker (and only they: it asks)."""
    kept = request.endpoint in OFFLINE_PAGES and request.method == "GET"
    if kept and response.status_code == 200 and not is_htmx_request():
        response.headers.setdefault("Cache-Control", "private, no-cache")
        if "no-store" not in response.headers["Cache-Control"]:
            response.headers["Door-Offline"] = "keep"
    return response
