"""Role checks for whole blueprints: a route added later is protected by default."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from ..extensions import login_manager
from ..models import Role

ROLES_ATTRIBUTE = "required_roles"
GUARD_ROLES_ATTRIBUTE = "guard_roles"


def require_roles(*roles: Role) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Narrow one view to ``roles`` (admins always pass), on top of its blueprint's rule."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        """Record the roles on the view; the blueprint's guard enforces them."""
        setattr(view, ROLES_ATTRIBUTE, frozenset(roles))
        return view

    return decorate


def access_refusal(*roles: Role) -> Response | None:
    """The answer for someone who may not open this request's page, or None if they may.

    Anonymous visitors get the redirect to /login (then back); a wrong role gets the 403
    page. ``roles`` are the blueprint's; a view may narrow them with ``require_roles``.
    """
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    view = current_app.view_functions.get(request.endpoint or "")
    allowed = getattr(view, ROLES_ATTRIBUTE, None) or frozenset(roles)
    if not current_user.may(*allowed):
        from ..errors import error_response

        return error_response(403)
    return None


def blueprint_refusal() -> Response | None:
    """``access_refusal`` with the roles of the guarded blueprint this request is in."""
    blueprint = current_app.blueprints.get(request.blueprint or "")
    roles = getattr(blueprint, GUARD_ROLES_ATTRIBUTE, None)
    return None if roles is None else access_refusal(*roles)


def guard_blueprint(blueprint: Blueprint, *roles: Role) -> None:
    """Every route of ``blueprint`` needs a signed-in staff member with one of ``roles``.

    The check runs before every view, and again on every error answer of the blueprint:
    an error can be raised before the views' check ran (the CSRF check reads the body
    first, so a body over the size limit is refused there), and a handler that shows a
    page of the blueprint must not show it to someone the check would have refused.
    Blueprint handlers for one status (``errorhandler(413)``) are looked up before this
    catch-all: they must call ``blueprint_refusal()`` first.
    """
    setattr(blueprint, GUARD_ROLES_ATTRIBUTE, frozenset(roles))

    @blueprint.before_request
    def _check_role() -> Response | None:
        """Run before every view of the blueprint."""
        return access_refusal(*roles)

    @blueprint.errorhandler(HTTPException)
    def _error_keeps_the_check(error: HTTPException) -> Response:
        """An error on a staff page: the refusal first, then the usual error page."""
        from ..errors import http_error_response

        return access_refusal(*roles) or http_error_response(error)
