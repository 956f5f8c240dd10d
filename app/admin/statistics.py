"""The statistics page and its CSV: counts only, no names."""

from __future__ import annotations

from flask import Response, render_template

from ..services import exports, stats, stats_editions
from . import bp
from .common import csv_download


@bp.get("/statistics")
def statistics() -> str:
    """Bookings over time, fill rates per session and per kind, no-shows: charts and tables."""
    return render_template(
        "admin/statistics.html",
        stats=stats.statistics(),
        editions=stats_editions.edition_figures(),
        percent=stats.percent,
    )


@bp.get("/statistics.csv")
def statistics_csv() -> Response:
    """Per-session statistics as CSV (UTF-8 with BOM, semicolons); counts only, no names."""
    return csv_download(exports.statistics_csv(), "statistiques-seances.csv")
