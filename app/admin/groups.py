"""A session's group blocks: seats held for a class or an association behind a code.

Plain forms: create a block, see each one's code and link, what was booked with it, and
give the unused seats back now (services/group_holds.py holds the rules).
"""

from __future__ import annotations

from datetime import timedelta

from flask import flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from ..forms import given, show_refusal
from ..i18n import gettext
from ..models import EventSession
from ..services import group_holds, seat_reads
from ..services.errors import DomainError
from ..services.mail.render import public_url
from ..timeutil import utcnow
from . import bp
from .common import actor, from_paris, to_paris_input
from .forms import ConfirmForm, HoldForm


def default_release(session: EventSession) -> object:
    """Two days before the start (or the start itself when that is sooner), Paris time."""
    release = session.starts_at - timedelta(days=2)
    return to_paris_input(release if release > utcnow() else session.starts_at)


def groups_context(session: EventSession, form: HoldForm | None = None) -> dict[str, object]:
    """Everything the group block page shows."""
    holds = group_holds.holds_of(session.id)
    return {
        "session": session,
        "holds": holds,
        "bookings": group_holds.bookings_of([hold.id for hold in holds]),
        "links": {
            hold.id: public_url("public.session_detail", session_id=session.id, code=hold.code)
            for hold in holds
        },
        "display_code": group_holds.display_code,
        "form": form or HoldForm(release_at=default_release(session)),
        "confirm_form": ConfirmForm(),
    }


@bp.get("/sessions/<int:session_id>/groups")
def session_groups(session_id: int) -> str:
    """The session's group blocks and the form that creates one."""
    return render_template("admin/groups.html", **groups_context(seat_reads.session(session_id)))


@bp.post("/sessions/<int:session_id>/groups")
def hold_group_seats(session_id: int) -> Response | tuple[str, int]:
    """Hold seats for a group; the page then shows its code and link."""
    session = seat_reads.session(session_id)
    form = HoldForm()
    if not form.validate_on_submit():
        return render_template("admin/groups.html", **groups_context(session, form)), 422
    try:
        hold = group_holds.hold_seats(
            session_id,
            given(form.seats.data),
            given(form.label.data),
            given(from_paris(form.release_at.data)),
            actor=actor(),
        )
    except DomainError as error:
        if message := show_refusal(form, error):
            flash(message, "error")
        return render_template(
            "admin/groups.html", **groups_context(seat_reads.session(session_id), form)
        ), error.status
    flash(
        gettext(
            "Places réservées pour « %(group)s ». Envoyez-lui le lien ou le code ci-dessous.",
            group=hold.label,
        ),
        "success",
    )
    return redirect(url_for(".session_groups", session_id=session_id), code=303)


@bp.post("/groups/<int:hold_id>/release")
def release_group_seats(hold_id: int) -> Response:
    """Give a block's unused seats back to the public (and the waiting list) now."""
    session_id = group_holds.get_hold(hold_id).session_id  # HoldNotFound: the 404 page
    try:
        group_holds.release_now(hold_id, actor=actor())
    except DomainError as error:
        flash(show_refusal(None, error), "error")
    else:
        flash(gettext("Les places non utilisées sont rendues au public."), "success")
    return redirect(url_for(".session_groups", session_id=session_id), code=303)
