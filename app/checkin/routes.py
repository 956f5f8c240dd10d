"""URL rules of the check-in area."""

from __future__ import annotations

from datetime import date

from flask import abort, render_template, request

from ..services import dashboard
from ..timeutil import paris, utcnow
from . import bp


@bp.get("/")
def index() -> str:
    """The sessions of a day (today by default), with who is expected and who came."""
    raw = request.args.get("day")
    try:
        day = date.fromisoformat(raw) if raw else paris(utcnow()).date()
    except ValueError:
        abort(400)
    week = dashboard.week_figures()
    sessions = [
        figures
        for figures in week.by_session.values()
        if paris(figures.session.starts_at).date() == day
    ]
    return render_template("checkin/index.html", day=day, sessions=sessions)
