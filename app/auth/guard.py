"""Role checks for whole blueprints: a route added later is protected by default."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, current_app, request
from flask_login import current_user

from ..extensions import login_manager
from ..models import Role

ROLES_ATTRIBUTE = "required_roles"


def require_roles(*roles: Role) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Narrow one view to ``roles`` (admins always pass), on top of its blueprint's rule."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        """Record the roles on the view; the blueprint's guard enforces them."""
        setattr(view, ROLES_ATTRIBUTE, frozenset(roles))
        return view

    return decorate


def guard_blueprint(blueprint: Blueprint, *roles: Role) -> None:
    """Every route of ``blueprint`` needs a signed-in staff member with one of ``roles``.

    Anonymous visitors are sent to /login (then back); a wrong role gets 403.
    """

    @blueprint.before_request
    def _check_role() -> Any:
        """Run before every view of the blueprint."""
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        view = current_app.view_functions.get(request.endpoint or "")
        allowed = getattr(view, ROLES_ATTRIBUTE, None) or frozenset(roles)
        if not current_user.may(*allowed):
            abort(403)
        return None
