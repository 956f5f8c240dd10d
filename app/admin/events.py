"""Events: the list with their sessions, and the event form."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ..forms import given
from ..i18n import gettext
from ..labels import DIFFICULTIES, difficulty_label, kind_label
from ..models import Event, EventKind
from ..services import organiser
from . import bp
from .common import actor
from .forms import EventForm, choices


@bp.get("/events")
def events() -> str:
    """Every event with its sessions."""
    return render_template("admin/events.html", events=organiser.all_events())


def event_form(event: Event | None = None) -> EventForm:
    """The event form with its choices filled in."""
    form = EventForm(obj=event) if event else EventForm()
    form.kind.choices = choices((kind.value, kind_label(kind)) for kind in EventKind)
    form.venue_id.choices = choices((v.id, v.name) for v in organiser.all_venues())
    form.difficulty.choices = choices(
        [("", "—"), *((code, difficulty_label(code)) for code in DIFFICULTIES)]
    )
    if event and request.method == "GET":
        form.kind.data = event.kind.value
    return form


@bp.route("/events/new", methods=["GET", "POST"])
@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
def edit_event(event_id: int | None = None) -> Response | tuple[str, int]:
    """Create or edit an event."""
    event = organiser.find_event(event_id)
    if event_id and event is None:
        abort(404)
    form = event_form(event)
    if request.method == "POST":
        if form.validate_on_submit():
            saved = organiser.save_event(
                organiser.EventFields(
                    title=given(form.title.data).strip(),
                    kind=EventKind(form.kind.data),
                    venue_id=form.venue_id.data,
                    summary=form.summary.data or "",
                    description=form.description.data or "",
                    speakers=form.speakers.data or "",
                    organisers=form.organisers.data or "",
                    accessibility_notes=form.accessibility_notes.data or "",
                    distance_km=form.distance_km.data,
                    difficulty=form.difficulty.data or "",
                    waitlist_auto=form.waitlist_auto.data,
                ),
                actor=actor(),
                event_id=event_id,
            )
            flash(gettext("Événement enregistré."), "success")
            return redirect(url_for(".events") + f"#event-{saved.id}", code=303)
        return render_template("admin/event_form.html", form=form, event=event), 422
    return render_template("admin/event_form.html", form=form, event=event), 200
