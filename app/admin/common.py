"""Small helpers every part of the dashboard uses: who acts, Paris times, downloads."""

from __future__ import annotations

from datetime import datetime

from flask import Response, make_response
from flask_login import current_user

from ..timeutil import PARIS, paris


def actor() -> str:
    """Who is acting, for the audit log."""
    return current_user.email


def from_paris(value: datetime | None) -> datetime | None:
    """A naive ``datetime-local`` value, read as Paris time."""
    return value.replace(tzinfo=PARIS) if value else None


def to_paris_input(value: datetime | None) -> datetime | None:
    """An aware datetime as a naive Paris value for a ``datetime-local`` field."""
    return paris(value).replace(tzinfo=None) if value else None


def download(body: str, content_type: str, filename: str) -> Response:
    """A file to save, never kept by a cache (it holds people's details)."""
    response = make_response(body)
    response.headers["Content-Type"] = content_type
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def csv_download(body: str, filename: str) -> Response:
    """A CSV file built by services/exports.py."""
    return download(body, "text/csv; charset=utf-8", filename)
