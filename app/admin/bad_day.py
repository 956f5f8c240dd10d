"""A bad day: every session of a day, or of an event, cancelled in one action.

The scope's form is a GET (the preview changes nothing); the confirmation is one POST
with the sessions the preview showed, so nothing else is cancelled than what was seen.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ..forms import show_refusal
from ..i18n import gettext, ngettext
from ..services import bad_day, organiser
from ..services.errors import DomainError
from . import bp
from .common import actor
from .forms import CancelDayForm, CancelDayScopeForm


def _scope_form() -> CancelDayScopeForm:
    """The scope's form, its events to choose from (« toutes » first)."""
    form = CancelDayScopeForm(formdata=request.args or None)
    form.event_id.choices = [("", gettext("Toutes les activités"))] + [
        (str(event.id), f"{event.title} ({event.edition})") for event in organiser.all_events()
    ]
    return form


def _page(
    status: int = 200,
    *,
    preview: bad_day.Preview | None = None,
    scope_form: CancelDayScopeForm | None = None,
    confirm_form: CancelDayForm | None = None,
    **context: object,
) -> tuple[str, int]:
    """The page: the scope's form, and the preview with its confirmation when there is one."""
    scope_form = scope_form or _scope_form()
    confirm_form = confirm_form or CancelDayForm(formdata=None)
    if preview is not None:
        confirm_form.day.data = scope_form.day.data or ""
        confirm_form.event_id.data = scope_form.event_id.data or ""
        confirm_form.expected.data = ",".join(str(i) for i in preview.session_ids)
    return render_template(
        "admin/cancel_day.html",
        scope_form=scope_form,
        confirm_form=confirm_form,
        preview=preview,
        **context,
    ), status


@bp.get("/cancel-day")
def cancel_day() -> tuple[str, int]:
    """Pick a day or an event; with one, the preview: sessions, people, mails."""
    form = _scope_form()
    if not request.args:
        return _page(scope_form=form)
    try:
        scope = bad_day.parse_scope(form.day.data or "", form.event_id.data or "")
    except DomainError as error:
        show_refusal(form, error)
        return _page(error.status, scope_form=form)
    return _page(scope_form=form, preview=bad_day.preview(scope))


@bp.post("/cancel-day/confirm")
def confirm_cancel_day() -> Response | tuple[str, int]:
    """Cancel them all in one transaction; one mail per address goes after the commit."""
    form = CancelDayForm()
    scope_form = CancelDayScopeForm(
        formdata=None, day=form.day.data or "", event_id=form.event_id.data or ""
    )
    scope_form.event_id.choices = _scope_form().event_id.choices
    if not form.validate_on_submit():
        return _page(400 if not form.note.errors else 422, scope_form=scope_form, confirm_form=form)
    try:
        scope = bad_day.parse_scope(form.day.data or "", form.event_id.data or "")
        expected = [int(i) for i in (form.expected.data or "").split(",") if i.strip().isdigit()]
        done = bad_day.cancel_day(
            scope, note=form.note.data or "", expected=expected, actor=actor()
        )
    except DomainError as error:
        message = show_refusal(scope_form, error)
        try:
            preview = bad_day.preview(
                bad_day.parse_scope(form.day.data or "", form.event_id.data or "")
            )
        except DomainError:
            preview = None
        return _page(
            error.status,
            scope_form=scope_form,
            confirm_form=form,
            preview=preview,
            form_error=message,
        )
    flash(
        ngettext("%(num)d séance annulée", "%(num)d séances annulées", done.sessions)
        + ", "
        + ngettext(
            "%(num)d personne prévenue par e-mail.",
            "%(num)d personnes prévenues par e-mail.",
            done.mails,
        ),
        "success",
    )
    return redirect(url_for(".overview"), code=303)
