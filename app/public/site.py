"""Pages about the site itself: the language switch and what we keep about people."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request
from werkzeug.wrappers import Response

from ..i18n import LANGUAGE_COOKIE_DAYS, language_cookie_name, same_site_path
from ..services import privacy
from . import bp


@bp.get("/language/<any(fr, en):language>")
def choose_language(language: str) -> Response:
    """Switch the interface language, remember it, and go back to the same page."""
    response = redirect(same_site_path(request.args.get("next")), code=303)
    response.set_cookie(
        language_cookie_name(),
        language,
        path="/",
        max_age=LANGUAGE_COOKIE_DAYS * 24 * 3600,
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        httponly=True,
        samesite="Lax",
    )
    return response


@bp.get("/privacy")
def privacy_page() -> str:
    """What we keep about people who book, why, for how long, and whom to ask."""
    return render_template(
        "public/privacy.html",
        retention_days=privacy.retention_days(),
        contact=current_app.config["PRIVACY_CONTACT"],
    )
