"""Sessions from a rule (preview, then one POST), and when booking opens for an event.

Both forms are plain POSTs: the preview is the page rendered again with the plan.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ..forms import show_refusal
from ..i18n import gettext, ngettext
from ..models import Event
from ..services import organiser, series
from ..services.errors import DomainError
from ..services.series_errors import SeriesInvalid
from . import bp
from .common import actor
from .forms import OpeningForm, SeriesForm

# The opening form shares the page with the rule's, which has a field of the same name.
OPENING = "opening"


def _event(event_id: int) -> Event:
    """The event of the page, or 404."""
    event = organiser.find_event(event_id)
    if event is None:
        abort(404)
    return event


def _typed(form: SeriesForm) -> series.SeriesInput:
    """The form's values as the service reads them."""
    return series.SeriesInput(
        first_day=form.first_day.data or "",
        last_day=form.last_day.data or "",
        weekdays=",".join(form.weekdays.data or []),
        times=form.times.data or "",
        minutes=form.minutes.data or "",
        capacity=form.capacity.data or "",
        booking_opens_at=form.booking_opens_at.data or "",
        close_minutes=form.close_minutes.data or "",
        note=form.note.data or "",
    )


def _page(event: Event, status: int = 200, **context: object) -> tuple[str, int]:
    """The series page."""
    context.setdefault("form", SeriesForm())
    context.setdefault("opening_form", OpeningForm(prefix=OPENING))
    return render_template("admin/series.html", event=event, **context), status


@bp.route("/events/<int:event_id>/series", methods=["GET", "POST"])
def event_series(event_id: int) -> Response | tuple[str, int]:
    """The rule's form; « Aperçu » shows the plan, « Créer » creates it in one transaction."""
    event = _event(event_id)
    if request.method == "GET":
        return _page(event, form=SeriesForm(minutes="45", capacity="20"))
    form = SeriesForm()
    if not form.validate_on_submit():
        return _page(event, 422 if form.note.errors else 400, form=form)
    try:
        rule = series.parse_rule(_typed(form))
    except SeriesInvalid as error:
        for problem in error.problems:
            show_refusal(form, problem)
        return _page(event, error.status, form=form, form_error=error.message())
    if request.form.get("action") == "create":
        try:
            result = series.create_series(event_id, rule, actor=actor())
        except DomainError as error:
            # A bad row: nothing was created; the plan shows which row and why.
            show_refusal(form, error)
            plan = series.plan_series(event_id, rule)
            return _page(event, error.status, form=form, plan=plan, form_error=error.message())
        flash(
            ngettext("%(num)d séance créée", "%(num)d séances créées", len(result.created))
            + ", "
            + ngettext("%(num)d déjà programmée.", "%(num)d déjà programmées.", result.skipped),
            "success",
        )
        return redirect(url_for(".events") + f"#event-{event_id}", code=303)
    return _page(event, form=form, plan=series.plan_series(event_id, rule))


@bp.post("/events/<int:event_id>/opening")
def event_opening(event_id: int) -> Response | tuple[str, int]:
    """When booking opens for every session of the event still to come (empty: now)."""
    event = _event(event_id)
    form = OpeningForm(prefix=OPENING)
    if not form.validate_on_submit():
        return _page(event, 400, opening_form=form)
    try:
        opens_at = series.parse_opening(form.booking_opens_at.data or "")
        changed = series.open_event(event_id, opens_at, actor=actor())
    except DomainError as error:
        show_refusal(form, error)
        return _page(event, error.status, opening_form=form)
    flash(
        ngettext(
            "Ouverture des réservations enregistrée pour %(num)d séance.",
            "Ouverture des réservations enregistrée pour %(num)d séances.",
            changed,
        )
        if changed
        else gettext("Rien à changer : ces séances ouvrent déjà à ce moment."),
        "success",
    )
    return redirect(url_for(".event_series", event_id=event_id), code=303)
