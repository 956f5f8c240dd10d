"""What only administrators see: staff accounts, the audit log, personal-data exports."""

from __future__ import annotations

import json

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ..auth.guard import require_roles
from ..forms import given, show_refusal
from ..i18n import gettext
from ..models import Role
from ..services import accounts, audit, privacy
from ..services.errors import DomainError
from . import bp
from .common import actor, download
from .forms import PrivacyExportForm, StaffForm, choices


@bp.get("/audit")
@require_roles(Role.ADMIN)
def audit_log() -> str:
    """The latest changes: who changed what, and when (admins only)."""
    return render_template("admin/audit.html", entries=audit.recent_entries(300))


@bp.route("/staff", methods=["GET", "POST"])
@require_roles(Role.ADMIN)
def staff() -> Response | tuple[str, int]:
    """Staff accounts: list and create (admins only)."""
    form = StaffForm()
    form.role.choices = choices((role.value, role.value) for role in Role)
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                accounts.create_user(
                    given(form.email.data),
                    Role(form.role.data),
                    given(form.password.data),
                    form.name.data or "",
                    actor=actor(),
                )
            except DomainError as error:
                if message := show_refusal(form, error):
                    flash(message, "error")
                status = error.status
            else:
                flash(gettext("Compte enregistré."), "success")
                return redirect(url_for(".staff"), code=303)
        else:
            status = 422
    return render_template("admin/staff.html", form=form, users=accounts.staff_users()), status


@bp.route("/privacy/export", methods=["GET", "POST"])
@require_roles(Role.ADMIN)
def privacy_export() -> Response | tuple[str, int] | str:
    """Everything held about one e-mail address, as a JSON download (admins only, audited)."""
    form = PrivacyExportForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("admin/privacy_export.html", form=form), 422
        export = privacy.export_personal_data(given(form.email.data), actor=actor())
        return download(
            json.dumps(export, ensure_ascii=False, indent=2),
            "application/json; charset=utf-8",
            f"donnees-personnelles-{privacy.address_digest(export['email'])}.json",
        )
    return render_template("admin/privacy_export.html", form=form)
