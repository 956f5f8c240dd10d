"""URL rules of the public area, all in one place.

Views parse input, call one service, and render a page (or, for htmx, a fragment).
"""

from __future__ import annotations

import time

from flask import Response, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext

from ..database import end_write
from ..htmx import is_htmx_request
from ..i18n import current_language
from ..models import Booking, EventKind, EventSession
from ..services import booking as booking_service
from ..services import ledger
from ..services.errors import DomainError, InvalidSeats, SessionFull
from ..services.programme import (
    BOOKABLE,
    availability,
    get_session,
    group_by_day,
    list_sessions,
)
from . import bp
from .forms import BookingForm

TOKEN_RULE = "<string(minlength=20, maxlength=64):token>"  # noqa: S105 (a URL rule, not a secret)


def parse_kind(raw: str | None) -> EventKind | None:
    """Read the ``kind`` filter; an unknown value is a 400, not a silent "all"."""
    if not raw:
        return None
    try:
        return EventKind(raw)
    except ValueError:
        abort(400)


def private_page(response: Response) -> Response:
    """Keep pages reached through a secret token out of caches and search engines."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.get("/")
def programme() -> str:
    """The programme of the week, grouped by day, optionally filtered by kind."""
    kind = parse_kind(request.args.get("kind"))
    context = {
        "days": group_by_day(list_sessions(kind)),
        "kind": kind,
        "kinds": list(EventKind),
        "live_etag": live_etag(kind, None),
    }
    if is_htmx_request():
        return render_template("public/_programme.html", **context)
    return render_template("public/programme.html", **context)


def live_etag(kind: EventKind | None, event_id: int | None) -> str:
    """The live counts' version: the change counter, the scope, language and minute.

    The minute is there because a session's state also changes with the clock
    (booking closes, the session starts) without any seat moving.
    """
    scope = f"e{event_id}" if event_id else (kind.value if kind else "all")
    minute = int(time.time() // 60)
    return f"seats-{ledger.change_counter()}-{scope}-{current_language()}-{minute}"


@bp.get("/live/seats")
def live_seats() -> Response:
    """Seat badges of a page's sessions, swapped out-of-band by id; 304 when unchanged."""
    kind = parse_kind(request.args.get("kind"))
    event_id = request.args.get("event", type=int)
    etag = live_etag(kind, event_id)
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        sessions = list_sessions(kind, event_id)
        response = make_response(render_template("public/_live_seats.html", sessions=sessions))
    response.set_etag(etag)
    response.headers["Cache-Control"] = "no-cache"
    response.vary.update(("Cookie", "Accept-Language"))
    return response


def _booking_request(form: BookingForm, session: EventSession) -> booking_service.BookingRequest:
    """Turn a validated form into the service's plain request."""
    return booking_service.BookingRequest(
        session_id=session.id,
        name=form.name.data,
        email=form.email.data,
        seats=form.seats.data,
        phone=form.phone.data or "",
        accessibility_needs=form.accessibility_needs.data or "",
        locale=current_language(),
        nonce=form.nonce.data or None,
    )


@bp.route("/sessions/<int:session_id>", methods=["GET", "POST"])
def session_detail(session_id: int) -> Response | str | tuple[str, int]:
    """A session's details and its booking form; POST books seats for a party."""
    session = get_session(session_id)
    form = BookingForm()
    form_error = None
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                booking = booking_service.book(_booking_request(form, session))
            except (SessionFull, InvalidSeats) as error:
                end_write(commit=False)
                form.seats.errors = [*form.seats.errors, error.message()]
                status = error.status
            except DomainError as error:
                end_write(commit=False)
                form_error = error.message()
                status = error.status
            else:
                return booking_confirmed(booking)
        else:
            status = 422
    context = {
        "session": session,
        "state": availability(session),
        "bookable": availability(session) in BOOKABLE,
        "form": form,
        "form_error": form_error,
        "live_etag": live_etag(None, session.event_id),
        "oob_badge": is_htmx_request(),
    }
    template = "public/_booking_panel.html" if is_htmx_request() else "public/session.html"
    return render_template(template, **context), status


def booking_confirmed(booking: Booking) -> Response:
    """After a booking: 303 to its page, or for htmx the same content as a fragment."""
    url = url_for(".booking_page", token=booking.token)
    if is_htmx_request():
        response = make_response(
            render_template("public/_booking_done.html", booking=booking, just_booked=True)
        )
        response.headers["HX-Push-Url"] = url
        return private_page(response)
    flash(
        gettext(
            "C’est réservé ! Gardez ce lien : il permet de retrouver ou d’annuler votre réservation."
        ),
        "success",
    )
    return redirect(url, code=303)


@bp.get(f"/b/{TOKEN_RULE}")
def booking_page(token: str) -> Response:
    """A booking's own page: what, when, where, how many seats, status, cancel button."""
    booking = booking_service.get_by_token(token)
    return private_page(make_response(render_template("public/booking.html", booking=booking)))


@bp.route(f"/b/{TOKEN_RULE}/cancel", methods=["GET", "POST"])
def cancel_booking(token: str) -> Response:
    """Ask for confirmation (GET), then cancel and free the seats (POST)."""
    booking = booking_service.get_by_token(token)
    if request.method == "POST":
        try:
            booking_service.cancel(token)
        except DomainError as error:
            end_write(commit=False)
            response = make_response(
                render_template("public/cancel.html", booking=booking, error=error.message()),
                error.status,
            )
            return private_page(response)
        flash(
            gettext(
                "Votre réservation est annulée. Les places sont libérées pour d’autres visiteurs."
            ),
            "success",
        )
        return redirect(url_for(".booking_page", token=token), code=303)
    return private_page(make_response(render_template("public/cancel.html", booking=booking)))
