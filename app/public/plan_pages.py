"""A visitor changes their plans from the booking page: another session, another party size.

Also « Je ne peux pas venir », the reminder's link: one page, one button, and the seats go
to others before the door opens. Each refusal is shown next to its field, in the page's
language, with a 4xx; when the only obstacle is room, the page offers to wait for it
without losing the seats held.
"""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ..forms import given, show_refusal
from ..i18n import full_date, gettext, seats_phrase
from ..models import Booking
from ..ratelimits import lookup_limit
from ..services import booking as booking_service
from ..services import plan_changes
from ..services.errors import DomainError
from ..services.programme import get_session
from . import bp
from .booking_pages import TOKEN_RULE, private_page, render_booking
from .forms import MoveForm, ReduceForm


def _done(token: str, message: str) -> Response:
    """Back to the booking page (303), which says what was done."""
    flash(message, "success")
    return redirect(url_for(".booking_page", token=token), code=303)


def _waiting_message(row: Booking) -> str:
    """What the visitor is told once a change row waits for them."""
    return gettext(
        "C’est noté : vous gardez votre réservation telle qu’elle est. "
        "Dès que des places se libèrent le %(when)s, nous vous les proposons par e-mail.",
        when=full_date(row.session.starts_at),
    )


@bp.post(f"/b/{TOKEN_RULE}/move")
@lookup_limit
def move_booking(token: str) -> Response:
    """Move the booking to another session of its event, or wait for a seat there."""
    booking = booking_service.get_by_token(token)
    form = MoveForm()
    if not form.validate_on_submit():
        return render_booking(booking, 422, move_form=form)
    target_id = given(form.session_id.data)
    try:
        if form.wait.data == "1":
            result = plan_changes.wait_to_move(booking, target_id, actor="public")
        else:
            result = plan_changes.move(booking, target_id, actor="public")
    except DomainError as error:
        booking = booking_service.get_by_token(token)
        offer = {"kind": "move", "session_id": target_id}
        return render_booking(
            booking,
            error.status,
            move_form=form,
            move_error=show_refusal(form, error),
            wait_offer=offer if error.may_wait else None,
        )
    if result.id != booking.id:
        return _done(token, _waiting_message(result))
    return _done(
        token,
        gettext(
            "C’est fait : votre réservation est maintenant pour le %(when)s. "
            "La nouvelle confirmation part par e-mail ; votre lien et votre billet restent valables.",
            when=full_date(result.session.starts_at),
        ),
    )


@bp.post(f"/b/{TOKEN_RULE}/seats")
@lookup_limit
def resize_party(token: str) -> Response:
    """Change the party's size: fewer frees seats, more takes free ones at once."""
    booking = booking_service.get_by_token(token)
    form = ReduceForm()
    if not form.validate_on_submit():
        return render_booking(booking, 422, reduce_form=form)
    seats = given(form.seats.data)
    # Made smaller, the party no longer waits for extra seats (party_endings.after_reduction).
    drops_extra = seats < booking.seats and plan_changes.waits_for_extra_seats(booking)
    try:
        if form.wait.data == "1":
            result = plan_changes.wait_for_seats(token, seats, actor="public")
        else:
            result = plan_changes.resize(token, seats, actor="public")
    except DomainError as error:
        offer = {"kind": "seats", "seats": seats}
        return render_booking(
            booking_service.get_by_token(token),
            error.status,
            reduce_form=form,
            reduce_error=show_refusal(form, error),
            wait_offer=offer if error.may_wait else None,
        )
    if result.id != booking.id:
        return _done(token, _waiting_message(result))
    message = gettext(
        "C’est noté : votre réservation compte maintenant %(seats)s.",
        seats=seats_phrase(result.seats),
    )
    if drops_extra:
        message += " " + gettext(
            "Votre attente de places en plus prend fin : redemandez-les si vous êtes plus nombreux."
        )
    return _done(token, message)


@bp.route(f"/b/{TOKEN_RULE}/cant-come", methods=["GET", "POST"])
@lookup_limit
def cant_come(token: str) -> Response:
    """The reminder's « Je ne peux pas venir »: a page with one button (GET), then cancel (POST).

    The seats go to the waiting list at once, or to the door once booking has closed.
    """
    booking = booking_service.get_by_token(token)
    error = None
    status = 200
    if request.method == "POST":
        try:
            booking_service.cancel(token)
        except DomainError as refusal:
            booking = booking_service.get_by_token(token)
            error, status = show_refusal(None, refusal), refusal.status
        else:
            return _done(
                token,
                gettext(
                    "Merci de nous avoir prévenus : votre réservation est annulée "
                    "et vos places vont à d’autres visiteurs."
                ),
            )
    response = make_response(
        render_template("public/cant_come.html", booking=booking, error=error), status
    )
    return private_page(response)


@bp.route(f"/b/{TOKEN_RULE}/rebook/<int:session_id>", methods=["GET", "POST"])
@lookup_limit
def rebook(token: str, session_id: int) -> Response:
    """A bad day's mail link: the booking its session lost, into another session (POST).

    The page (GET) says what the click would do, or why it cannot now, with the other
    sessions that still have room; the seats are taken at the click, re-checked then.
    """
    booking = booking_service.get_by_token(token)
    target = get_session(session_id)
    error, status = None, 200
    if request.method == "POST":
        try:
            result, moved = plan_changes.move_cancelled(token, session_id)
        except DomainError as refusal:
            booking = booking_service.get_by_token(token)
            error, status = show_refusal(None, refusal), refusal.status
        else:
            when = full_date(result.session.starts_at)
            if not moved:
                return _done(
                    token,
                    gettext("C’est déjà fait : votre réservation est pour le %(when)s.", when=when),
                )
            return _done(
                token,
                gettext(
                    "C’est fait : votre réservation est maintenant pour le %(when)s. "
                    "La nouvelle confirmation part par e-mail ; votre lien et votre billet "
                    "restent valables.",
                    when=when,
                ),
            )
    done = booking.session_id == target.id and booking.is_active
    if error is None and not done:
        why_not = plan_changes.rebook_refusal(booking, target)
        error = why_not.message() if why_not is not None else None
    others = [s for s in plan_changes.rebook_targets(booking) if s.id != target.id]
    response = make_response(
        render_template(
            "public/rebook.html",
            booking=booking,
            target=target,
            error=error,
            done=done,
            others=others,
        ),
        status,
    )
    return private_page(response)
