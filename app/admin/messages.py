"""E-mails to the people of a session or a whole event."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ..forms import given
from ..i18n import gettext
from ..security import id_arg
from ..services import attendees, organiser
from . import bp
from .common import actor
from .forms import MessageForm


@bp.route("/messages", methods=["GET", "POST"])
def messages() -> Response | tuple[str, int]:
    """E-mail the attendees and/or waiting list of a session or a whole event."""
    session_id = id_arg(request.values, "session")
    event_id = id_arg(request.values, "event")
    scope = attendees.message_scope(session_id, event_id)
    form = MessageForm()
    status = 200
    if request.method == "POST":
        if not scope:
            flash(gettext("Choisissez une séance ou un événement."), "error")
            status = 422
        elif form.validate_on_submit():
            count = attendees.send_message(
                [s.id for s in scope],
                form.audience.data,
                given(form.subject.data),
                given(form.body.data),
                actor=actor(),
            )
            flash(gettext("Message envoyé à %(num)d réservations.", num=count), "success")
            return redirect(
                url_for(".session_page", session_id=scope[0].id)
                if len(scope) == 1
                else url_for(".events"),
                code=303,
            )
        else:
            status = 422
    return render_template(
        "admin/messages.html",
        form=form,
        scope=scope,
        session_id=session_id,
        event_id=event_id,
        events=organiser.all_events(),
    ), status
