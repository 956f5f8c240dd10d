"""The overview and one session's page: figures, capacity, editing, lists and their exports.

Views parse a form, call one service, and redirect (303) or re-render with the error.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ..forms import given, show_refusal
from ..htmx import is_htmx_request
from ..i18n import gettext
from ..models import EventSession
from ..services import attendees, dashboard, exports, organiser, plan_changes, questions, seat_reads
from ..services.errors import DomainError
from ..services.programme import get_session
from . import bp
from .common import actor, csv_download, from_paris, to_paris_input
from .forms import CapacityForm, ConfirmForm, DuplicateForm, PriorityForm, SessionForm


@bp.get("/")
def overview() -> str:
    """Every session by day: booked/capacity, waiting, checked in; the week's totals."""
    failed_mail = dashboard.failed_mail_count()
    return render_template(
        "admin/overview.html", week=seat_reads.week_figures(), failed_mail=failed_mail
    )


def session_context(session: EventSession, **forms: object) -> dict[str, object]:
    """Everything the session page shows."""
    query = request.args.get("q", "")
    people = attendees.attendees(session.id, query)
    waiting = attendees.waiting(session.id, query)
    return {
        "session": session,
        "figures": dashboard.figures_for(session),
        "attendees": people,
        "waiting": waiting,
        "answers": questions.answer_lines([*people, *waiting]),
        "query": query,
        "capacity_form": forms.get("capacity_form") or CapacityForm(capacity=session.capacity),
        "duplicate_form": forms.get("duplicate_form")
        or DuplicateForm(starts_at=to_paris_input(organiser.default_duplicate_start(session))),
        "priority_form": PriorityForm(),
        "confirm_form": ConfirmForm(),
        "movable": plan_changes.movable_ids(people, organiser.move_targets(session)),
    }


@bp.get("/sessions/<int:session_id>")
def session_page(session_id: int) -> str:
    """A session: its figures, attendees and waiting list (searchable), and actions."""
    context = session_context(seat_reads.session(session_id))
    if is_htmx_request() and request.headers.get("HX-Target") == "people":
        return render_template("admin/_people.html", **context)
    return render_template("admin/session.html", **context)


@bp.post("/sessions/<int:session_id>/capacity")
def change_capacity(session_id: int) -> Response | tuple[str, int]:
    """Raise (offers go out to the waiting list) or lower (never below booked) a capacity."""
    session = get_session(session_id)
    form = CapacityForm()
    if not form.validate_on_submit():
        return render_template(
            "admin/session.html", **session_context(session, capacity_form=form)
        ), 422
    try:
        organiser.set_capacity(session_id, given(form.capacity.data), actor=actor())
    except DomainError as error:
        if message := show_refusal(form, error):
            flash(message, "error")
        return render_template(
            "admin/session.html", **session_context(get_session(session_id), capacity_form=form)
        ), error.status
    flash(gettext("Capacité enregistrée."), "success")
    return redirect(url_for(".session_page", session_id=session_id), code=303)


@bp.route("/sessions/<int:session_id>/cancel", methods=["GET", "POST"])
def cancel_session(session_id: int) -> Response | str:
    """Confirm, then cancel a session: everyone booked or waiting is told by e-mail."""
    session = get_session(session_id)
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        count = organiser.cancel_session(session_id, actor=actor())
        flash(
            gettext("Séance annulée ; %(num)d personnes prévenues par e-mail.", num=count),
            "success",
        )
        return redirect(url_for(".session_page", session_id=session_id), code=303)
    return render_template("admin/confirm_cancel_session.html", session=session, form=form)


@bp.post("/sessions/<int:session_id>/duplicate")
def duplicate_session(session_id: int) -> Response | tuple[str, int]:
    """Repeat a session at another time (the exhibition slots repeat)."""
    session = get_session(session_id)
    form = DuplicateForm()
    if not form.validate_on_submit():
        return render_template(
            "admin/session.html", **session_context(session, duplicate_form=form)
        ), 422
    copy = organiser.duplicate_session(
        session_id, given(from_paris(form.starts_at.data)), actor=actor()
    )
    flash(gettext("Séance dupliquée."), "success")
    return redirect(url_for(".session_page", session_id=copy.id), code=303)


@bp.route("/events/<int:event_id>/sessions/new", methods=["GET", "POST"])
@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
def edit_session(
    event_id: int | None = None, session_id: int | None = None
) -> Response | tuple[str, int]:
    """Create or edit a session (times in Paris time)."""
    session = get_session(session_id) if session_id else None
    event = session.event if session else organiser.find_event(event_id)
    if event is None:
        abort(404)
    form = SessionForm()
    if request.method == "GET" and session:
        form = SessionForm(
            starts_at=to_paris_input(session.starts_at),
            ends_at=to_paris_input(session.ends_at),
            capacity=session.capacity,
            booking_opens_at=to_paris_input(session.booking_opens_at),
            booking_closes_at=to_paris_input(session.booking_closes_at),
            note=session.note,
        )
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                saved = organiser.save_session(
                    event.id,
                    organiser.SessionFields(
                        starts_at=given(from_paris(form.starts_at.data)),
                        ends_at=given(from_paris(form.ends_at.data)),
                        capacity=given(form.capacity.data),
                        booking_opens_at=from_paris(form.booking_opens_at.data),
                        booking_closes_at=from_paris(form.booking_closes_at.data),
                        note=form.note.data or "",
                    ),
                    actor=actor(),
                    session_id=session_id,
                )
            except DomainError as error:
                if message := show_refusal(form, error):
                    flash(message, "error")
                status = error.status
            else:
                flash(gettext("Séance enregistrée."), "success")
                return redirect(url_for(".session_page", session_id=saved.id), code=303)
        else:
            status = 422
    return render_template(
        "admin/session_form.html", form=form, event=event, session=session
    ), status


@bp.get("/sessions/<int:session_id>/attendees.csv")
def attendees_csv(session_id: int) -> Response:
    """The attendee list as CSV (UTF-8 with BOM, semicolons)."""
    session = get_session(session_id)
    return csv_download(exports.attendees_csv(session), f"inscrits-seance-{session_id}.csv")


@bp.get("/sessions/<int:session_id>/waitlist.csv")
def waitlist_csv(session_id: int) -> Response:
    """The waiting list as CSV, in queue order."""
    session = get_session(session_id)
    return csv_download(exports.waitlist_csv(session), f"liste-attente-seance-{session_id}.csv")


@bp.get("/sessions/<int:session_id>/print")
def print_list(session_id: int) -> str:
    """A printable attendee list: the paper backup at the door."""
    session = get_session(session_id)
    people = attendees.attendees(session_id)
    return render_template(
        "admin/print.html",
        session=session,
        attendees=people,
        answers=questions.answer_lines(people),
    )
