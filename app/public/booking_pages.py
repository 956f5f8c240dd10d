"""A booking's own pages, reached through its secret token: /b/<token> and what follows.

See it, add it to a calendar, answer a waiting-list offer, cancel, or erase one's data;
changes of plans (another session, another party size) are in plan_pages.py.
"""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ..forms import show_refusal
from ..i18n import gettext
from ..live import live_etag
from ..models import Booking, BookingStatus
from ..ratelimits import lookup_limit
from ..services import booking as booking_service
from ..services import plan_options, privacy, seat_reads, tickets, waiting_party, waitlist
from ..services.errors import DomainError
from ..services.mail import public_url
from ..timeutil import utcnow
from . import bp
from .forms import EraseForm, MoveForm, ReduceForm

TOKEN_RULE = "<string(minlength=20, maxlength=64):token>"  # noqa: S105 (a URL rule, not a secret)


def private_page(response: Response) -> Response:
    """Keep pages reached through a secret token out of caches and search engines."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def render_booking(booking: Booking, status: int = 200, **context: object) -> Response:
    """The booking's page, private, with whatever its status needs."""
    plans = plan_options.plan_options(booking)
    extra: dict[str, object] = {
        "plans": plans,
        # Not read from the request: after another form's POST, the field shows the booking.
        "reduce_form": context.pop("reduce_form", None)
        or ReduceForm(formdata=None, seats=booking.seats),
        "move_form": context.pop("move_form", None) or MoveForm(formdata=None),
    }
    if plans.move_choices:  # their seats left are live
        extra["live_etag"] = live_etag(None, booking.session.event_id, upcoming=True)
    if booking.status is BookingStatus.WAITING:
        extra["position"] = waitlist.position(booking)
    extra["positions"] = waiting_party.positions(booking)
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
    return render_booking(waiting_party.lead_of(seat_reads.booking(token)))


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


def pinned_offer() -> int | None:
    """The offer a link or form names (``offer``: a change row's id), if any.

    Mails about an offer made to one of the party's other sessions carry it, so that the
    visitor accepts what the mail said and not an offer made since.
    """
    value = request.values.get("offer", "")
    return int(value) if value.isdigit() and len(value) < 12 else None


@bp.route(f"/b/{TOKEN_RULE}/accept", methods=["GET", "POST"])
@lookup_limit
def accept_offer(token: str) -> Response:
    """The e-mail's "accept" link: a page with one button (GET), then confirm (POST)."""
    booking = waiting_party.lead_of(seat_reads.booking(token))
    if request.method == "POST":
        try:
            waitlist.accept(token, offer_id=pinned_offer())
        except DomainError as error:
            return render_offer(booking, "accept", show_refusal(None, error), error.status)
        flash(gettext("C’est confirmé ! Vos places sont réservées."), "success")
        return redirect(url_for(".booking_page", token=booking.token), code=303)
    return render_offer(booking, "accept")


@bp.route(f"/b/{TOKEN_RULE}/decline", methods=["GET", "POST"])
@lookup_limit
def decline_offer(token: str) -> Response:
    """The e-mail's "decline" link: a page with one button (GET), then free the seats (POST)."""
    booking = waiting_party.lead_of(booking_service.get_by_token(token))
    if request.method == "POST":
        try:
            booking_service.decline_offer(token, offer_id=pinned_offer())
        except DomainError as error:
            # The rollback left the booking to reload itself: the page shows it as it is.
            return render_offer(booking, "decline", show_refusal(None, error), error.status)
        flash(
            gettext("C’est noté : les places sont proposées à la personne suivante. Merci !"),
            "success",
        )
        return redirect(url_for(".booking_page", token=booking.token), code=303)
    return render_offer(booking, "decline")


def render_offer(
    lead: Booking, choice: str, error: str | None = None, status: int = 200
) -> Response:
    """The page behind an offer link, with its single POST button.

    It shows the offer the link names (or the party's open one): its session and seats,
    with the lead's links. A pinned offer that is no longer open shows the lead as it is.
    """
    offer = waiting_party.pinned(waiting_party.offered_row(lead), pinned_offer(), lead)
    response = make_response(
        render_template(
            "public/offer.html",
            booking=offer or lead,
            lead=lead,
            offer=offer,
            choice=choice,
            error=error,
        ),
        status,
    )
    return private_page(response)


@bp.route(f"/b/{TOKEN_RULE}/cancel", methods=["GET", "POST"])
@lookup_limit
def cancel_booking(token: str) -> Response:
    """Ask for confirmation (GET), then cancel and free the seats (POST)."""
    booking = booking_service.get_by_token(token)
    if request.method == "POST":
        try:
            booking = booking_service.cancel(token)
        except DomainError as error:
            response = make_response(
                render_template(
                    "public/cancel.html", booking=booking, error=show_refusal(None, error)
                ),
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
