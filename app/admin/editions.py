"""The editions: the list, a new one copied from an earlier one (preview, then one POST),
and opening the booking of an edition."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ..forms import show_refusal
from ..i18n import gettext, ngettext
from ..services import editions, series
from ..services.errors import DomainError
from . import bp
from .common import actor
from .forms import NewEditionForm, OpeningForm


def _page(status: int = 200, **context: object) -> tuple[str, int]:
    """The editions page."""
    if "form" not in context:
        newest = editions.newest_edition()
        context["form"] = NewEditionForm(from_year=str(newest) if newest else "")
    context.setdefault("opening_form", OpeningForm())
    return render_template("admin/editions.html", editions=editions.editions(), **context), status


@bp.get("/editions")
def editions_page() -> tuple[str, int]:
    """Every edition, and the form that makes the next one."""
    return _page()


@bp.post("/editions/new")
def new_edition() -> Response | tuple[str, int]:
    """« Aperçu » shows what the copy makes; « Créer » makes it in one transaction."""
    form = NewEditionForm()
    if not form.validate_on_submit():
        return _page(400, form=form)
    creating = request.form.get("action") == "create"
    try:
        year, week = editions.parse_copy(form.from_year.data or "", form.week.data or "")
        plan = editions.new_edition(year, week, actor=actor(), dry_run=not creating)
    except DomainError as error:
        show_refusal(form, error)
        return _page(error.status, form=form)
    if not creating:
        return _page(form=form, plan=plan)
    flash(
        ngettext(
            "Édition %(year)s créée : %(num)d séance recopiée, réservations fermées.",
            "Édition %(year)s créée : %(num)d séances recopiées, réservations fermées.",
            plan.new_sessions,
            year=plan.target_year,
        ),
        "success",
    )
    return redirect(url_for(".editions_page") + f"#edition-{plan.target_year}", code=303)


@bp.post("/editions/<int:year>/opening")
def open_edition(year: int) -> Response | tuple[str, int]:
    """Open the booking of an edition's sessions still to come: now, or at a set time."""
    form = OpeningForm()
    if not form.validate_on_submit():
        return _page(400, opening_form=form, opening_year=year)
    try:
        opens_at = series.parse_opening(form.booking_opens_at.data or "")
        changed = editions.open_edition(year, opens_at, actor=actor())
    except DomainError as error:
        show_refusal(form, error)
        return _page(error.status, opening_form=form, opening_year=year)
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
    return redirect(url_for(".editions_page") + f"#edition-{year}", code=303)
