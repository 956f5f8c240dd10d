"""URL rules of staff sign-in: /login and /logout."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from ..extensions import db, login_manager
from ..forms import given
from ..i18n import gettext, same_site_path
from ..models import Role, StaffUser
from ..ratelimits import login_limit
from ..services import accounts
from ..services.errors import DomainError
from . import bp
from .forms import LoginForm


@login_manager.user_loader
def load_user(user_id: str) -> StaffUser | None:
    """Flask-Login: the signed-in account, if it still exists and is active."""
    return db.session.get(StaffUser, int(user_id)) if user_id.isdigit() else None


def home_for(user: StaffUser) -> str:
    """Where a staff member lands after signing in."""
    return url_for("checkin.index") if user.role is Role.CHECKIN else url_for("admin.overview")


@bp.route("/login", methods=["GET", "POST"])
@login_limit
def login() -> Response | tuple[str, int, dict[str, str]]:
    """Sign in; repeated failures are slowed down (app/services/accounts.py), never locked."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm(next=request.args.get("next", ""))
    error = None
    status = 200
    retry_after = None
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                user = accounts.authenticate(
                    given(form.email.data),
                    given(form.password.data),
                    client=request.remote_addr or "",
                )
            except DomainError as failure:
                error, status = failure.message(), failure.status
                if isinstance(failure, accounts.LoginThrottled):
                    retry_after = failure.wait_seconds
            else:
                session.permanent = True  # a door tablet stays signed in all day
                login_user(user, remember=False)
                return redirect(same_site_path(form.next.data, home_for(user)), code=303)
        else:
            status = 422
    headers = {"Retry-After": str(retry_after)} if retry_after else {}
    return render_template("auth/login.html", form=form, error=error), status, headers


@bp.post("/logout")
def logout() -> Response:
    """Sign out (a POST, so that no link or image can sign someone out)."""
    logout_user()
    flash(gettext("Vous êtes déconnecté·e."), "success")
    return redirect(url_for("public.programme"), code=303)
