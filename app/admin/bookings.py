"""One booking or waiting party: taken by phone, cancelled, moved, offered seats, reprioritised.

Every seat change goes through app/services, like the public's.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ..forms import given, show_refusal, typed_answers
from ..i18n import gettext
from ..services import booking as booking_service
from ..services import organiser, plan_changes, questions
from ..services.errors import DomainError
from ..services.programme import get_session
from . import bp
from .common import actor
from .forms import ConfirmForm, MoveForm, PhoneBookingForm, PriorityForm, choices


@bp.route("/sessions/<int:session_id>/bookings/new", methods=["GET", "POST"])
def new_booking(session_id: int) -> Response | tuple[str, int]:
    """Take a booking by phone or at the desk, through the same seat rules."""
    session = get_session(session_id)
    form = PhoneBookingForm()
    status = 200
    answer_errors: dict[int, str] = {}
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                booking_service.book(
                    booking_service.BookingRequest(
                        session_id=session_id,
                        name=given(form.name.data),
                        email=given(form.email.data),
                        seats=given(form.seats.data),
                        phone=form.phone.data or "",
                        accessibility_needs=form.accessibility_needs.data or "",
                        source="phone",
                        by_organiser=True,
                        answers=tuple(typed_answers().items()),
                    ),
                    actor=actor(),
                )
            except questions.AnswersRefused as error:
                answer_errors = error.messages()
                status = error.status
            except DomainError as error:
                if message := show_refusal(form, error):
                    flash(message, "error")
                status = error.status
            else:
                flash(
                    gettext("Réservation enregistrée ; la confirmation part par e-mail."), "success"
                )
                return redirect(url_for(".session_page", session_id=session_id), code=303)
        else:
            status = 422
    return render_template(
        "admin/booking_new.html",
        session=session,
        form=form,
        # The event's questions, asked by phone too; none is required here (services).
        questions=questions.asked(session.event_id),
        answers=typed_answers() if request.method == "POST" else {},
        answer_errors=answer_errors,
    ), status


@bp.route("/bookings/<int:booking_id>/cancel", methods=["GET", "POST"])
def cancel_booking(booking_id: int) -> Response | str:
    """Confirm (GET), then cancel a booking or take a party off the list; seats are offered."""
    booking = organiser.booking_by_id(booking_id)
    if request.method == "GET":
        return render_template(
            "admin/confirm_cancel_booking.html", booking=booking, form=ConfirmForm()
        )
    if ConfirmForm().validate_on_submit():
        try:
            booking_service.cancel(booking.token, actor=actor())
        except DomainError as error:
            flash(show_refusal(None, error), "error")
        else:
            flash(gettext("Réservation de %(name)s annulée.", name=booking.name), "success")
    return redirect(url_for(".session_page", session_id=booking.session_id), code=303)


@bp.route("/bookings/<int:booking_id>/move", methods=["GET", "POST"])
def move_booking(booking_id: int) -> Response | tuple[str, int]:
    """Move a confirmed booking to another session of the same event."""
    booking = organiser.booking_by_id(booking_id)
    targets = plan_changes.move_targets(booking, by_organiser=True)
    form = MoveForm()
    form.target.choices = choices((s.id, str(s.id)) for s in targets)
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                organiser.move_booking(booking_id, form.target.data, actor=actor())
            except DomainError as error:
                if error.field == "session_id":  # the public form's name for the target
                    form.target.errors = [*form.target.errors, error.message()]
                elif message := show_refusal(form, error):
                    flash(message, "error")
                status = error.status
            else:
                flash(
                    gettext("Réservation déplacée ; la nouvelle confirmation part par e-mail."),
                    "success",
                )
                return redirect(url_for(".session_page", session_id=form.target.data), code=303)
        else:
            status = 422
    return render_template("admin/move.html", booking=booking, targets=targets, form=form), status


@bp.post("/bookings/<int:booking_id>/offer")
def offer_seats(booking_id: int) -> Response:
    """Offer free seats to one waiting party by hand (manual events, or to skip the queue)."""
    booking = organiser.booking_by_id(booking_id)
    if ConfirmForm().validate_on_submit():
        try:
            organiser.offer_by_hand(booking_id, actor=actor())
        except DomainError as error:
            flash(show_refusal(None, error), "error")
        else:
            flash(gettext("Places proposées à %(name)s par e-mail.", name=booking.name), "success")
    return redirect(url_for(".session_page", session_id=booking.session_id), code=303)


@bp.post("/bookings/<int:booking_id>/priority")
def change_priority(booking_id: int) -> Response | tuple[str, int]:
    """Change a waiting party's priority; a reason is required (it goes to the audit log)."""
    booking = organiser.booking_by_id(booking_id)
    form = PriorityForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return redirect(url_for(".session_page", session_id=booking.session_id), code=303)
    try:
        organiser.set_priority(
            booking_id, given(form.priority.data), given(form.reason.data), actor=actor()
        )
    except DomainError as error:
        flash(show_refusal(None, error), "error")
    else:
        flash(gettext("Priorité de %(name)s enregistrée.", name=booking.name), "success")
    return redirect(url_for(".session_page", session_id=booking.session_id), code=303)
