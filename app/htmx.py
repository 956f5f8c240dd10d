"""Helpers for answering htmx requests with fragments and plain requests with pages."""

from __future__ import annotations

from flask import request


def is_htmx_request() -> bool:
    """True for an htmx request that wants a fragment (not a history restore)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )
