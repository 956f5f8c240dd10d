"""A session's page and its booking panel: book seats, or join the waiting list."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any, NamedTuple

from flask import flash, make_response, redirect, render_template, request, url_for
from flask import session as flask_session
from markupsafe import Markup
from werkzeug.wrappers import Response

from .. import fragments
from ..forms import given, show_refusal, typed_answers
from ..htmx import is_htmx_request
from ..i18n import current_language, full_date, gettext
from ..live import LiveVersion, live_etag, live_version
from ..models import Booking, BookingStatus, EventSession
from ..ratelimits import booking_limit, group_code_limit
from ..services import booking as booking_service
from ..services import (
    gallery,
    group_holds,
    plan_options,
    questions,
    seat_reads,
    tickets,
    waiting_party,
)
from ..services.booking_options import booking_options
from ..services.errors import DomainError
from . import bp, group_booking
from .booking_pages import private_page
from .forms import BookingForm


def _booking_request(
    form: BookingForm, session: EventSession, nonce_lookup: booking_service.NonceLookup | None
) -> booking_service.BookingRequest:
    """Turn a validated form into the service's plain request."""
    return booking_service.BookingRequest(
        session_id=session.id,
        name=given(form.name.data),
        email=given(form.email.data),
        seats=given(form.seats.data),
        phone=form.phone.data or "",
        accessibility_needs=form.accessibility_needs.data or "",
        locale=current_language(),
        nonce=form.nonce.data or None,
        nonce_lookup=nonce_lookup,
        also=tuple(form.also.data or ()),
        answers=tuple(typed_answers().items()),
    )


@bp.route("/sessions/<int:session_id>", methods=["GET", "POST"])
@booking_limit
@group_code_limit
def session_detail(session_id: int) -> Response | str | tuple[str, int]:
    """A session's details and its booking form; POST books seats for a party.

    A group code (the link's ``?code=``, or the form's ``group_code``) turns the form into
    the group's: see group_booking.py.
    """
    version = live_version(f"session-{session_id}")  # before the session's row: see live.py
    # A POST's nonce comes with the session, in one query; a GET has none.
    session, nonce_lookup = seat_reads.page_session(session_id, request.form.get("nonce"))
    form = BookingForm()
    form_error = None
    status = 200
    asked = asked_questions(session, version)
    answer_errors: dict[int, str] = {}
    group = None
    if request.method == "GET" and request.args.get("code"):
        group, status, form_error = group_booking.from_link(form, session, request.args["code"])
    if request.method == "POST":
        if form.validate_on_submit():
            joining = request.form.get("action") == "waitlist"
            try:
                if form.group_code.data:
                    booking = group_holds.book_with_code(
                        group_booking.group_request(form, session, typed_answers())
                    )
                elif joining:
                    booking = booking_service.join_waitlist(
                        _booking_request(form, session, nonce_lookup)
                    )
                else:
                    booking = booking_service.book(_booking_request(form, session, nonce_lookup))
            except questions.AnswersRefused as error:
                answer_errors = error.messages()
                status = error.status
            except DomainError as error:
                form_error = show_refusal(form, error)
                status = error.status
            else:
                return booking_confirmed(booking)
        else:
            # The answers' messages come with the fields' ones, all in one go.
            _kept, problems = questions.answer_problems(asked, typed_answers())
            answer_errors = questions.AnswersRefused(problems).messages()
            status = 422
        if form.group_code.data:
            group = group_booking.hold_shown(session, form.group_code.data)
    context = {
        "session": session,
        "options": booking_options(session, form.seats.data if form.seats.errors else None),
        "form": form,
        "form_error": form_error,
        "live_etag": live_etag(None, session.event_id),
        "also_choices": also_choices(session, version),
        "oob_badge": is_htmx_request(),
        "questions": asked,
        "answers": typed_answers() if request.method == "POST" else {},
        "answer_errors": answer_errors,
        "group": group,
    }
    panel = render_template(group_booking.panel_template(group), **context)
    if is_htmx_request():  # only the booking panel goes back
        return panel, status
    context["parts"] = session_parts(session, version)
    return page_around(panel, context, version), status


class SessionParts(NamedTuple):
    """The parts of a session page that every visitor sees alike."""

    title: Markup
    header: Markup
    details: Markup
    related: Markup


def session_parts(session: EventSession, version: LiveVersion) -> SessionParts:
    """Render the shared parts of ``session``'s page once per ``version`` (app/fragments.py).

    Only the booking panel, which holds the visitor's own form, is rendered every time:
    a crowd refused on a full session costs a form each, not a whole page each.
    """

    def render() -> SessionParts:
        """Render the shared parts from the database."""
        context = {
            "session": session,
            "event": session.event,
            "options": booking_options(session),
            "elsewhere": plan_options.elsewhere(session),
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

    return fragments.cached(version, render)


# Where the visitor's own panel goes in a page shell kept by ``page_around``.
_PANEL_HERE = Markup(f"<!--booking-panel-{secrets.token_hex(8)}-->")  # noqa: S704


def page_around(panel: str, context: dict[str, Any], version: LiveVersion) -> str:
    """The session page around the visitor's ``panel``, its shell rendered once per version.

    Everything around the panel (the site's header and footer, the shared parts, the live
    poll) is the same for every visitor of this version who asks for this address in this
    language: a crowd refused on a full session renders its panels alone. A page that shows
    something of the visitor's own besides (a flashed message, a group's hold) or whose
    address carries a query string (the language switch links back to it) is rendered
    whole, as is every page when the store is off.
    """
    store = fragments.fragment_store()
    if (
        context["group"] is not None
        or request.query_string
        or "_flashes" in flask_session
        or not store.enabled
    ):
        return render_template("public/session.html", panel=Markup(panel), **context)  # noqa: S704

    def render_shell() -> tuple[Markup, Markup]:
        """The page with a marker for the panel, cut in two at the marker."""
        whole = render_template("public/session.html", panel=_PANEL_HERE, **context)
        before, found, after = whole.partition(_PANEL_HERE)
        if not found:
            raise RuntimeError("public/session.html no longer shows its panel")
        return Markup(before), Markup(after)  # noqa: S704 (rendered by Jinja, escaped)

    key = (*version, "page-shell", request.script_root, request.path, context["live_etag"])
    before, after = fragments.cached(key, render_shell)
    return "".join((before, panel, after))


class AlsoChoice(NamedTuple):
    """Another session of the event that a party joining this list may wait on as well."""

    id: int
    starts_at: datetime
    seats_left: int


def also_choices(session: EventSession, version: LiveVersion) -> tuple[AlsoChoice, ...]:
    """``waiting_party.also_choices``, read once per ``version`` like the shared parts.

    A full session's page is the one a crowd is refused on: its refusals read nothing
    more than the session itself.
    """
    store = fragments.fragment_store()
    key = (*version, "also-choices")
    found: tuple[AlsoChoice, ...] | None = store.get(key)
    if found is None:
        found = tuple(
            AlsoChoice(other.id, other.starts_at, other.seats_left)
            for other in waiting_party.also_choices(session)
        )
        store.put(key, found)
    return found


def asked_questions(
    session: EventSession, version: LiveVersion
) -> tuple[questions.AskedQuestion, ...]:
    """The event's own questions, read once per change counter (editing them moves it).

    Not per minute nor per language like the page's other parts: they hold both languages
    and do not age, so a refused rush does not read them again when the minute turns.
    """
    store = fragments.fragment_store()
    key = (version.counter, "questions", session.event_id)
    found: tuple[questions.AskedQuestion, ...] | None = store.get(key)
    if found is None:
        found = questions.asked(session.event_id)
        store.put(key, found)
    return found


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
