"""E-mails to the people of a session or a whole event: the mail editor's fields and preview,
with the same placeholders, replaced for each recipient."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response
from wtforms import SelectField

from ..forms import show_refusal
from ..htmx import is_htmx_request
from ..i18n import gettext
from ..i18n import lazy_gettext as _l
from ..models import EventSession
from ..security import id_arg
from ..services import attendees, mail_texts, organiser
from ..services.errors import DomainError
from ..services.mail.texts import PLACEHOLDERS
from . import bp
from .common import actor
from .forms import choices
from .mails import MailTextForm


class MessageMailForm(MailTextForm):
    """Who gets the message, and its words in both languages."""

    audience = SelectField(
        _l("Destinataires"),
        choices=choices(
            [
                ("attendees", _l("Les personnes inscrites")),
                ("waitlist", _l("La liste d’attente")),
                ("both", _l("Les deux")),
            ]
        ),
    )


@bp.route("/messages", methods=["GET", "POST"])
def messages() -> Response | tuple[str, int]:
    """E-mail the attendees and/or waiting list of a session or a whole event."""
    session_id = id_arg(request.values, "session")
    event_id = id_arg(request.values, "event")
    scope = attendees.message_scope(session_id, event_id)
    scope_event = scope[0].event_id if scope else None
    if request.method == "GET" and scope_event is not None:
        # The event's (or the week's) « message » words, when someone wrote some.
        start, origin = mail_texts.current_fields("message", scope_event)
        form = MessageMailForm(data=start.__dict__ if origin != "site" else None)
    else:
        form = MessageMailForm()
    status = 200
    if request.method == "POST":
        if not scope:
            flash(gettext("Choisissez une séance ou un événement."), "error")
            status = 422
        elif not form.validate_on_submit():
            status = 422
        elif request.form.get("action") != "preview":
            try:
                count = mail_texts.send_to_attendees(
                    [s.id for s in scope], form.audience.data, form.fields(), actor=actor()
                )
            except DomainError as error:
                show_refusal(form, error)
                status = 422
            else:
                flash(gettext("Message envoyé à %(num)d réservations.", num=count), "success")
                return redirect(
                    url_for(".session_page", session_id=scope[0].id)
                    if len(scope) == 1
                    else url_for(".events"),
                    code=303,
                )
    preview = _preview(scope, form)
    if is_htmx_request() and request.form.get("action") == "preview":
        return render_template("admin/_mail_preview.html", preview=preview), 200
    return render_template(
        "admin/messages.html",
        form=form,
        scope=scope,
        session_id=session_id,
        event_id=event_id,
        events=organiser.all_events(),
        placeholders=PLACEHOLDERS,
        preview=preview,
    ), status


def _preview(scope: list[EventSession], form: MessageMailForm) -> dict[str, object] | None:
    """The message as its first recipient would get it, in both languages."""
    if not scope:
        return None
    people = attendees.recipients([s.id for s in scope], form.audience.data or "attendees")
    if not people:
        return None
    return {
        "booking": people[0],
        "languages": mail_texts.preview("message", people[0], form.fields()),
        "stale": False,
    }
