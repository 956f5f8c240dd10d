"""URL rules of the check-in area: the door tablet.

Every action is a small POST (with a nonce, so a retry after a dropped connection is
harmless) answered, for htmx, by the refreshed board; without JavaScript by a 303 back to
the page with a message.
"""

from __future__ import annotations

import secrets
from datetime import date

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from ..forms import show_refusal
from ..htmx import is_htmx_request
from ..i18n import gettext, ngettext
from ..models import CheckIn, EventSession
from ..security import id_arg
from ..services import attendees, checkin, questions, seat_reads
from ..services.checkin import day as door_data
from ..services.errors import DomainError
from ..services.programme import get_session
from ..timeutil import utcnow
from . import bp


def actor() -> str:
    """Who is at the tablet, for the audit log and "checked in by"."""
    return current_user.email


@bp.get("/")
def index() -> str:
    """The sessions of a day (today by default): the current or next one first."""
    raw = request.args.get("day")
    try:
        day = date.fromisoformat(raw) if raw else None
    except ValueError:
        abort(400)
    listed = seat_reads.door_sessions(day)
    return render_template(
        "checkin/index.html",
        day=listed.day,
        sessions=listed.sessions,
        now=listed.now,
        next_day=None if listed.sessions else door_data.next_day_with_sessions(listed.day),
    )


def board_context(
    session: EventSession, result: str | None = None, result_kind: str = "ok"
) -> dict[str, object]:
    """Everything the door board shows."""
    query = request.values.get("q", "")
    closed = checkin.booking_has_closed(session, utcnow())
    people = attendees.matching(checkin.door_list(session.id, with_waiting=closed), query)
    ranks = checkin.waiting_ranks(session.id) if closed else {}
    standby = checkin.standby_board(session, ranks)
    return {
        "session": session,
        "counters": checkin.counters(session),
        "people": people,
        "standby": standby,
        "waiting_ranks": ranks,
        "at_the_door": {place.entry.booking_id for place in standby if place.list_rank},
        "max_passes": checkin.max_passes(),
        "query": query,
        "result": result,
        "result_kind": result_kind,
        "release_opens_at": checkin.release_opens_at(session),
        "release_open": utcnow() >= checkin.release_opens_at(session),
        "new_nonce": lambda: secrets.token_urlsafe(16),
        "last_check_ins": checkin.last_check_ins(session.id),
        # Each party's answers to the event's questions, on one short line.
        "answers": {
            booking_id: questions.answers_text(lines)
            for booking_id, lines in questions.answer_lines(people).items()
        },
    }


@bp.get("/sessions/<int:session_id>")
def session_page(session_id: int) -> str:
    """The door board of a session: counters, search, the list, walk-ins and standby."""
    session = seat_reads.session(session_id)
    context = board_context(session)
    if is_htmx_request() and request.headers.get("HX-Target") == "board":
        return render_template("checkin/_board.html", fragment=True, **context)
    return render_template("checkin/session.html", **context)


@bp.get("/sessions/<int:session_id>/counters")
def counters(session_id: int) -> str:
    """The counters alone: every tablet polls them, so all stay in step."""
    session = seat_reads.session(session_id)
    return render_template(
        "checkin/_counters.html", session=session, counters=checkin.counters(session)
    )


def answer(session_id: int, message: str, kind: str, status: int = 200) -> Response:
    """Reply to a door action: the refreshed board for htmx, else 303 back with a message."""
    if is_htmx_request():
        session = get_session(session_id)
        response = make_response(
            render_template(
                "checkin/_board.html", fragment=True, **board_context(session, message, kind)
            ),
            status,
        )
        return response
    flash(message, "success" if kind == "ok" else "error")
    return redirect(
        url_for(".session_page", session_id=session_id, q=request.values.get("q") or None), code=303
    )


def refusal(session_id: int, error: DomainError) -> Response:
    """A rule said no (the service has undone its changes): say why on the board."""
    answers = (checkin.AlreadyCheckedIn, checkin.OnWaitingList, checkin.AlreadyOnStandby)
    kind = "info" if isinstance(error, answers) else "error"
    return answer(session_id, show_refusal(None, error), kind, error.status)


def seats_value() -> int | None:
    """The optional seat count of a door form; None means the whole party."""
    raw = (request.form.get("seats") or "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        return -1  # refused by the service with a clear message


def door_party() -> tuple[int, str, str | None]:
    """Seats (1 when left empty), optional name and nonce of a walk-in or standby form."""
    seats = seats_value()
    return (
        (1 if seats is None else seats),
        request.form.get("name", "")[:120],
        request.form.get("nonce") or None,
    )


def welcome(entry: CheckIn) -> str:
    """« Bienvenue : Marie Curie, 2 places. »"""
    return ngettext(
        "Entrée enregistrée : %(name)s, %(num)d place.",
        "Entrée enregistrée : %(name)s, %(num)d places.",
        entry.seats,
        name=entry.booking.name,
    )


@bp.post("/sessions/<int:session_id>/scan")
def scan(session_id: int) -> Response:
    """A ticket code typed, scanned by a USB/Bluetooth scanner, or read by the camera."""
    code = request.form.get("code") or request.form.get("q") or ""
    if not code.strip():
        return answer(session_id, gettext("Saisissez ou scannez un code de billet."), "error", 422)
    try:
        entry = checkin.check_in(
            session_id, ticket_code=code, actor=actor(), nonce=request.form.get("nonce") or None
        )
    except DomainError as error:
        return refusal(session_id, error)
    return answer(session_id, welcome(entry), "ok")


@bp.post("/sessions/<int:session_id>/bookings/<int:booking_id>")
def tap(session_id: int, booking_id: int) -> Response:
    """One tap: the whole party in (or the number of seats chosen)."""
    try:
        entry = checkin.check_in(
            session_id,
            booking_id=booking_id,
            seats=seats_value(),
            actor=actor(),
            nonce=request.form.get("nonce") or None,
        )
    except DomainError as error:
        return refusal(session_id, error)
    return answer(session_id, welcome(entry), "ok")


@bp.post("/check-ins/<int:check_in_id>/undo")
def undo(check_in_id: int) -> Response:
    """Take back a check-in made by mistake."""
    session_id = id_arg(request.form, "session") or 0
    try:
        entry = checkin.undo(check_in_id, actor=actor())
    except DomainError as error:
        return refusal(session_id, error)
    return answer(
        entry.session_id, gettext("Entrée annulée : %(name)s.", name=entry.booking.name), "ok"
    )


@bp.post("/sessions/<int:session_id>/walk-in")
def walk_in(session_id: int) -> Response:
    """People without a booking, while seats are free."""
    seats, name, nonce = door_party()
    try:
        entry = checkin.walk_in(session_id, seats, name, actor=actor(), nonce=nonce)
    except DomainError as error:
        return refusal(session_id, error)
    return answer(session_id, welcome(entry), "ok")


@bp.post("/sessions/<int:session_id>/standby")
def standby(session_id: int) -> Response:
    """Someone waiting at the door for a seat to free up (in order of arrival)."""
    seats, name, nonce = door_party()
    try:
        entry = checkin.add_standby(session_id, seats, name, actor=actor(), nonce=nonce)
    except DomainError as error:
        return refusal(session_id, error)
    if entry.status.value == "admitted":
        return answer(session_id, gettext("Des places étaient libres : entrée enregistrée."), "ok")
    return answer(session_id, gettext("Ajouté à la file d’attente de la porte."), "ok")


@bp.post("/sessions/<int:session_id>/bookings/<int:booking_id>/standby")
def join_standby(session_id: int, booking_id: int) -> Response:
    """A waiting-list party at the door, once booking has closed: onto the queue at its rank."""
    try:
        entry = checkin.join_standby(
            session_id, booking_id, actor=actor(), nonce=request.form.get("nonce") or None
        )
    except DomainError as error:
        return refusal(session_id, error)
    if entry.status.value == "admitted":
        return answer(session_id, gettext("Des places étaient libres : entrée enregistrée."), "ok")
    place = checkin.standby_place(entry.booking) if entry.booking else None
    return answer(
        session_id,
        gettext("Ajouté à l’attente à l’entrée : n° %(num)d de la file.", num=place or 0),
        "ok",
    )


@bp.post("/standby/<int:entry_id>/leave")
def leave_standby(entry_id: int) -> Response:
    """Someone on the door's queue left."""
    try:
        entry = checkin.leave_standby(entry_id, actor=actor())
    except DomainError as error:
        return refusal(id_arg(request.form, "session") or 0, error)
    return answer(entry.session_id, gettext("Retiré de la file de la porte."), "ok")


@bp.route("/sessions/<int:session_id>/release", methods=["GET", "POST"])
def release(session_id: int) -> Response | str:
    """Confirm (GET), then give the seats of absent parties to the people at the door."""
    session = get_session(session_id)
    if request.method == "GET":
        return render_template(
            "checkin/release.html", session=session, opens_at=checkin.release_opens_at(session)
        )
    try:
        freed = checkin.release_no_shows(session_id, actor=actor())
    except DomainError as error:
        return refusal(session_id, error)
    return answer(
        session_id, ngettext("%(num)d place libérée.", "%(num)d places libérées.", freed), "ok"
    )
