"""The app's own error pages (never a traceback), in the visitor's language."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, OperationalError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, SecurityError

from .extensions import db
from .htmx import is_htmx_request
from .i18n import gettext
from .metrics import count_refusal
from .ratelimits import retry_after_seconds
from .services.errors import DomainError

log = logging.getLogger(__name__)


def _titles() -> dict[int, str]:
    """Short titles for each status, in the current language."""
    return {
        400: gettext("Requête invalide"),
        403: gettext("Accès refusé"),
        404: gettext("Page introuvable"),
        405: gettext("Méthode non autorisée"),
        409: gettext("Action impossible"),
        410: gettext("Données effacées"),
        413: gettext("Envoi trop volumineux"),
        422: gettext("Données invalides"),
        429: gettext("Trop de demandes"),
        500: gettext("Erreur du serveur"),
        503: gettext("Service momentanément indisponible"),
    }


def _explanations() -> dict[int, str]:
    """What a person can do about each status, in the current language."""
    return {
        400: gettext("La demande n’a pas pu être comprise. Revenez en arrière et réessayez."),
        403: gettext("Vous n’avez pas accès à cette page."),
        404: gettext(
            "Cette page n’existe pas ou plus. Vérifiez l’adresse ou revenez au programme."
        ),
        405: gettext("Cette adresse ne s’utilise pas ainsi. Revenez au programme."),
        410: gettext("Les données de cette page ont été effacées."),
        413: gettext("Ce que vous avez envoyé est trop volumineux."),
        429: gettext(
            "Vous avez fait trop de demandes en peu de temps. Patientez un instant, puis réessayez."
        ),
        500: gettext(
            "Une erreur inattendue s’est produite. L’équipe a été prévenue ; réessayez dans un instant."
        ),
        503: gettext(
            "Le service est très sollicité en ce moment. Réessayez dans quelques secondes : rien n’a été enregistré."
        ),
    }


def error_response(status: int, message: str | None = None) -> Response:
    """Render the error page with ``status``: JSON under /api, a small fragment for htmx.

    htmx does not swap an error answer; static/js/app.js shows its ``.error-message`` in
    the page's banner, so a fragment is all it needs.
    """
    title = _titles().get(status, gettext("Erreur"))
    message = message or _explanations().get(status, title)
    if request.path.startswith("/api/"):
        response = jsonify(error={"status": status, "title": title, "message": message})
    elif is_htmx_request():
        response = Response(
            render_template("errors/_fragment.html", status=status, title=title, message=message),
            mimetype="text/html",
        )
    else:
        response = Response(
            render_template("errors/error.html", status=status, title=title, message=message),
            mimetype="text/html",
        )
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def http_error_response(error: HTTPException) -> Response:
    """The error page for an HTTP error (with ``Allow`` on a 405)."""
    response = error_response(error.code or 500)
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def busy_response() -> Response:
    """The 503 page for a database that is locked or out of reach, with Retry-After."""
    response = error_response(503)
    response.headers["Retry-After"] = "5"
    return response


def register_error_handlers(app: Flask) -> None:
    """Install the handlers for HTTP errors, CSRF, busy databases, domain errors and crashes."""

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response:
        """Any 4xx/5xx raised by Flask or a view."""
        return http_error_response(error)

    @app.errorhandler(SecurityError)
    def _untrusted_host(_error: SecurityError) -> Response:
        """A Host header outside TRUSTED_HOSTS: a bare 400 (no page can be built for it).

        Flask refuses to bind the URL map to such a host, so templates, which build links,
        cannot render; the answer names nothing of the host it was sent.
        """
        response = Response(gettext("Requête invalide") + "\n", status=400, mimetype="text/plain")
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(RateLimitExceeded)
    def _too_many_requests(_error: RateLimitExceeded) -> Response:
        """Over a rate limit: our own 429 page, saying when to come back (Retry-After)."""
        response = error_response(429)
        response.headers["Retry-After"] = str(retry_after_seconds())
        return response

    @app.errorhandler(CSRFError)
    def _csrf_error(_error: CSRFError) -> Response:
        """A form without a valid CSRF token: ask to reload, store nothing."""
        return error_response(
            400,
            gettext(
                "Le formulaire n’a pas pu être vérifié (jeton de sécurité manquant ou expiré). "
                "Rechargez la page et envoyez-le à nouveau."
            ),
        )

    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError) -> Response:
        """A rule refused an action that no view caught more precisely."""
        count_refusal(error)
        return error_response(error.status, error.message())

    @app.errorhandler(DataError)
    def _bad_value(error: DataError) -> Response:
        """A value the database refuses (out of range, malformed): bad input, not a crash."""
        log.warning("value refused by the database on %s: %s", request.path, error.orig)
        db.session.rollback()
        return error_response(400)

    @app.errorhandler(OperationalError)
    def _database_busy(error: OperationalError) -> Response:
        """A lock or connection timeout: 503 with Retry-After, never a 500."""
        log.warning("database unavailable: %s", error.orig)
        db.session.rollback()
        return busy_response()

    @app.errorhandler(Exception)
    def _crash(error: Exception) -> Response:
        """Anything else: log it with its traceback, show the 500 page without it."""
        if isinstance(error, HTTPException):
            return _http_error(error)
        log.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return error_response(500)
