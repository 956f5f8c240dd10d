"""URL rules of the public area, all in one place.

Views parse input, call one service, and render a page (or, for htmx, a fragment).
"""

from __future__ import annotations

import time
from typing import NamedTuple

from flask import (
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from markupsafe import Markup

from .. import fragments
from ..database import end_write
from ..htmx import is_htmx_request
from ..i18n import (
    LANGUAGE_COOKIE_DAYS,
    current_language,
    full_date,
    language_cookie_name,
    same_site_path,
    seats_phrase,
)
from ..models import Booking, BookingStatus, EventKind, EventSession
from ..ratelimits import booking_limit, lookup_limit
from ..security import id_arg
from ..services import booking as booking_service
from ..services import gallery, ledger, privacy, tickets, waitlist
from ..services.errors import (
    DomainError,
    InvalidSeats,
    PartyTooLarge,
    SeatsPerPersonExceeded,
    SessionFull,
)
from ..services.mail import public_url
from ..services.programme import (
    BOOKABLE,
    availability,
    group_by_day,
    list_sessions,
)
from ..timeutil import utcnow
from . import bp
from .forms import BookingForm, EraseForm, ReduceForm

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
    waitlist.expire_before_read()
    context = {
        "days": group_by_day(list_sessions(kind)),
        "kind": kind,
        "kinds": list(EventKind),
        "live_etag": live_etag(kind, None),
    }
    if is_htmx_request():
        return render_template("public/_programme.html", **context)
    return render_template("public/programme.html", **context)


def live_etag(kind: EventKind | None, event_id: int | None, *, upcoming: bool = False) -> str:
    """The live counts' version: the change counter, the scope, language and minute.

    The minute is there because a session's state also changes with the clock
    (booking closes, the session starts) without any seat moving.
    """
    scope = f"e{event_id}" if event_id else (kind.value if kind else "all")
    if upcoming:
        scope += "-upcoming"
    minute = int(time.time() // 60)
    return f"seats-{ledger.change_counter()}-{scope}-{current_language()}-{minute}"


@bp.get("/language/<any(fr, en):language>")
def choose_language(language: str) -> Response:
    """Switch the interface language, remember it, and go back to the same page."""
    response = redirect(same_site_path(request.args.get("next")), code=303)
    response.set_cookie(
        language_cookie_name(),
        language,
        path="/",
        max_age=LANGUAGE_COOKIE_DAYS * 24 * 3600,
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        httponly=True,
        samesite="Lax",
    )
    return response


@bp.get("/live/seats")
def live_seats() -> Response:
    """Seat badges of a page's sessions, swapped out-of-band by id; 304 when unchanged."""
    kind = parse_kind(request.args.get("kind"))
    event_id = id_arg(request.args, "event")
    # A page that lists only upcoming sessions (a specimen's) asks only for their badges:
    # htmx would complain about badges with nothing to replace.
    upcoming = request.args.get("upcoming") == "1"
    etag = live_etag(kind, event_id, upcoming=upcoming)
    # Weak: the same counts sent compressed or not are the same version for us (and
    # Flask-Compress leaves weak validators alone instead of suffixing the encoding).
    if request.if_none_match.contains_weak(etag):
        response = Response(status=304)
    else:
        sessions = list_sessions(kind, event_id, upcoming=upcoming)
        response = make_response(render_template("public/_live_seats.html", sessions=sessions))
    response.set_etag(etag, weak=True)
    response.headers["Cache-Control"] = "no-cache"
    response.vary.update(("Cookie", "Accept-Language"))
    return response


def _booking_request(
    form: BookingForm,
    session: EventSession,
    nonce_lookup: booking_service.NonceLookup | None,
) -> booking_service.BookingRequest:
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
        nonce_lookup=nonce_lookup,
    )


@bp.route("/sessions/<int:session_id>", methods=["GET", "POST"])
@booking_limit
def session_detail(session_id: int) -> Response | str | tuple[str, int]:
    """A session's details and its booking form; POST books seats for a party."""
    version = fragments.public_version()  # before the session's row: see fragments.py
    # A POST's nonce comes with the session, in one query; a GET has none.
    session, nonce_lookup = booking_service.session_for_form(session_id, request.form.get("nonce"))
    form = BookingForm()
    form_error = None
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            joining = request.form.get("action") == "waitlist"
            try:
                if joining:
                    booking = booking_service.join_waitlist(
                        _booking_request(form, session, nonce_lookup)
                    )
                else:
                    booking = booking_service.book(_booking_request(form, session, nonce_lookup))
            except (
                SessionFull,
                InvalidSeats,
                PartyTooLarge,
                SeatsPerPersonExceeded,
            ) as error:
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
    if is_htmx_request():  # only the booking panel goes back
        return render_template("public/_booking_panel.html", **context), status
    context["parts"] = session_parts(session, version)
    return render_template("public/session.html", **context), status


class SessionParts(NamedTuple):
    """The parts of a session page that every visitor sees alike."""

    title: Markup
    header: Markup
    details: Markup
    related: Markup


def session_parts(session: EventSession, version: tuple[int, str, int]) -> SessionParts:
    """Render the shared parts of ``session``'s page once per ``version`` (app/fragments.py).

    Only the booking panel, which holds the visitor's own form, is rendered every time:
    a crowd refused on a full session costs a form each, not a whole page each.
    """

    def render() -> SessionParts:
        """Render the shared parts from the database."""
        state = availability(session)
        context = {
            "session": session,
            "event": session.event,
            "state": state,
            "bookable": state in BOOKABLE,
        }
        return SessionParts(
            title=Markup("{}, {}").format(session.event.title, full_date(session.starts_at)),
            header=fragments.render("public/_session_header.html", **context),
            details=fragments.render("public/_session_details.html", **context),
            related=fragments.render(
                "public/_session_related.html",
                specimens=gallery.shown_by_event(session.event_id),
                **context,
            ),
        )

    return fragments.cached(("session", session.id, *version), render)


def booking_confirmed(booking: Booking) -> Response:
    """After booking or joining the list: 303 to its page, or for htmx the same content."""
    url = url_for(".booking_page", token=booking.token)
    if is_htmx_request():
        qr_code = tickets.qr_svg_data_uri(booking.ticket_code) if booking.holds_seats else None
        response = make_response(
            render_template("public/_booking_done.html", booking=booking, qr_code=qr_code)
        )
        response.headers["HX-Push-Url"] = url
        return private_page(response)
    flash(outcome_message(booking), "success")
    return redirect(url, code=303)


def outcome_message(booking: Booking) -> str:
    """What just happened to a new booking, in one sentence."""
    if booking.status is BookingStatus.WAITING:
        return gettext(
            "Vous êtes sur la liste d’attente. Nous vous écrirons dès que des places se libèrent."
        )
    if booking.status is BookingStatus.OFFERED:
        return gettext("Des places viennent de se libérer pour vous : confirmez-les ci-dessous.")
    return gettext(
        "C’est réservé ! Gardez ce lien : il permet de retrouver ou d’annuler votre réservation."
    )


def render_booking(booking: Booking, status: int = 200, **context: object) -> Response:
    """The booking's page, private, with whatever its status needs."""
    extra: dict[str, object] = {
        "reduce_form": context.pop("reduce_form", None)
        or ReduceForm(seats=max(booking.seats - 1, 1))
    }
    if booking.status is BookingStatus.WAITING:
        extra["position"] = waitlist.position(booking)
    if booking.holds_seats:
        extra["qr_code"] = tickets.qr_svg_data_uri(booking.ticket_code)
    response = make_response(
        render_template("public/booking.html", booking=booking, **extra, **context), status
    )
    return private_page(response)


@bp.get(f"/b/{TOKEN_RULE}")
@lookup_limit
def booking_page(token: str) -> Response:
    """A booking's own page: what, when, where, how many seats, status and what to do."""
    booking = booking_service.get_by_token(token)
    waitlist.expire_before_read(booking.session_id)  # a commit there reloads the booking
    return render_booking(booking)


@bp.get(f"/b/{TOKEN_RULE}/calendar.ics")
@lookup_limit
def booking_calendar(token: str) -> Response:
    """The booking as an iCalendar file (Europe/Paris)."""
    booking = booking_service.get_by_token(token)
    body = tickets.booking_ics(booking, public_url("public.booking_page", token=token))
    response = make_response(body)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="minerales.ics"'
    return private_page(response)


@bp.route(f"/b/{TOKEN_RULE}/accept", methods=["GET", "POST"])
@lookup_limit
def accept_offer(token: str) -> Response:
    """The e-mail's "accept" link: a page with one button (GET), then confirm (POST)."""
    booking = booking_service.get_by_token(token)
    waitlist.expire_before_read(booking.session_id)
    if request.method == "POST":
        try:
            waitlist.accept(token)
        except DomainError as error:
            end_write(commit=False)
            return render_offer(booking, "accept", error.message(), error.status)
        flash(gettext("C’est confirmé ! Vos places sont réservées."), "success")
        return redirect(url_for(".booking_page", token=token), code=303)
    return render_offer(booking, "accept")


@bp.route(f"/b/{TOKEN_RULE}/decline", methods=["GET", "POST"])
@lookup_limit
def decline_offer(token: str) -> Response:
    """The e-mail's "decline" link: a page with one button (GET), then free the seats (POST)."""
    booking = booking_service.get_by_token(token)
    if request.method == "POST":
        try:
            booking_service.decline_offer(token)
        except DomainError as error:
            end_write(commit=False)  # the booking reloads itself after the rollback
            return render_offer(booking, "decline", error.message(), error.status)
        flash(
            gettext("C’est noté : les places sont proposées à la personne suivante. Merci !"),
            "success",
        )
        return redirect(url_for(".booking_page", token=token), code=303)
    return render_offer(booking, "decline")


def render_offer(
    booking: Booking, choice: str, error: str | None = None, status: int = 200
) -> Response:
    """The page behind an offer link, with its single POST button."""
    response = make_response(
        render_template("public/offer.html", booking=booking, choice=choice, error=error), status
    )
    return private_page(response)


@bp.post(f"/b/{TOKEN_RULE}/seats")
@lookup_limit
def reduce_party(token: str) -> Response:
    """Make the party smaller; the freed seats go to the waiting list."""
    booking = booking_service.get_by_token(token)
    form = ReduceForm()
    if not form.validate_on_submit():
        return render_booking(booking, 422, reduce_form=form)
    try:
        booking_service.reduce(token, form.seats.data)
    except DomainError as error:
        end_write(commit=False)
        form.seats.errors = [*form.seats.errors, error.message()]
        return render_booking(booking_service.get_by_token(token), error.status, reduce_form=form)
    flash(
        gettext(
            "C’est noté : votre réservation compte maintenant %(seats)s.",
            seats=seats_phrase(form.seats.data),
        ),
        "success",
    )
    return redirect(url_for(".booking_page", token=token), code=303)


@bp.route(f"/b/{TOKEN_RULE}/cancel", methods=["GET", "POST"])
@lookup_limit
def cancel_booking(token: str) -> Response:
    """Ask for confirmation (GET), then cancel and free the seats (POST)."""
    booking = booking_service.get_by_token(token)
    if request.method == "POST":
        try:
            booking = booking_service.cancel(token)
        except DomainError as error:
            end_write(commit=False)
            response = make_response(
                render_template("public/cancel.html", booking=booking, error=error.message()),
                error.status,
            )
            return private_page(response)
        if booking.ended_reason == "left":
            flash(gettext("Vous avez quitté la liste d’attente."), "success")
        else:
            flash(
                gettext(
                    "Votre réservation est annulée. Les places sont libérées pour d’autres visiteurs."
                ),
                "success",
            )
        return redirect(url_for(".booking_page", token=token), code=303)
    return private_page(make_response(render_template("public/cancel.html", booking=booking)))


@bp.route(f"/b/{TOKEN_RULE}/erase", methods=["GET", "POST"])
@lookup_limit
def erase_booking(token: str) -> Response:
    """Ask for confirmation (GET), then erase the booker's data for good (POST).

    A booking that still holds or awaits seats is cancelled first, so the seats go to
    other people; afterwards the link no longer opens anything.
    """
    booking = booking_service.get_by_token(token)
    form = EraseForm()
    if request.method == "POST" and form.validate_on_submit():
        was_active = booking.is_active
        erased = privacy.erase_booking(token)
        if was_active and erased.status is BookingStatus.CANCELLED:
            flash(
                gettext(
                    "Votre réservation est annulée et vos données sont effacées. "
                    "Les places sont libérées pour d’autres visiteurs."
                ),
                "success",
            )
        else:
            flash(gettext("Vos données sont effacées."), "success")
        return redirect(url_for(".erased"), code=303)
    cancels = privacy.erasure_cancels(booking, utcnow())
    response = make_response(
        render_template("public/erase.html", booking=booking, form=form, cancels=cancels)
    )
    return private_page(response)


@bp.get("/erased")
def erased() -> Response:
    """Where the booker lands after erasing their data: what happened, what it means."""
    return private_page(make_response(render_template("public/erase_done.html")))


@bp.get("/privacy")
def privacy_page() -> str:
    """What we keep about people who book, why, for how long, and whom to ask."""
    return render_template(
        "public/privacy.html",
        retention_days=privacy.retention_days(),
        contact=current_app.config["PRIVACY_CONTACT"],
    )
