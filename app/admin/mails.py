"""The mails' words: the week's defaults, each event's override, its practical details and
its reminders.

The editor shows, beside the text, the mail a real booking would get in French and in
English; « Aperçu » (and, with HTMX, each pause in typing) renders it again without saving.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..forms import show_refusal
from ..htmx import is_htmx_request
from ..i18n import gettext
from ..i18n import lazy_gettext as _l
from ..models import Event
from ..services import mail_texts, reminders
from ..services.errors import DomainError
from ..services.mail.texts import EDITABLE_KINDS, KIND_LABELS, PLACEHOLDERS
from . import bp
from .common import actor
from .forms import choices


class MailTextForm(FlaskForm):
    """The subject and body of one mail kind in both languages."""

    subject_fr = StringField(_l("Objet (français)"), validators=[Optional(), Length(max=200)])
    body_fr = TextAreaField(_l("Texte (français)"), validators=[Optional(), Length(max=5000)])
    subject_en = StringField(_l("Objet (anglais)"), validators=[Optional(), Length(max=200)])
    body_en = TextAreaField(_l("Texte (anglais)"), validators=[Optional(), Length(max=5000)])

    def fields(self) -> mail_texts.MailTextFields:
        """What was typed, as the service takes it."""
        return mail_texts.MailTextFields(
            **{name: self[name].data or "" for name in mail_texts.FIELDS}
        )


class PracticalForm(FlaskForm):
    """An event's practical details, in French and (optionally) English."""

    meeting_point = TextAreaField(_l("Point de rendez-vous"), validators=[Length(max=1000)])
    meeting_point_en = TextAreaField(
        _l("Point de rendez-vous (anglais)"), validators=[Length(max=1000)]
    )
    what_to_bring = TextAreaField(_l("À apporter"), validators=[Length(max=1000)])
    what_to_bring_en = TextAreaField(_l("À apporter (anglais)"), validators=[Length(max=1000)])
    access_info = TextAreaField(_l("Accès"), validators=[Length(max=1000)])
    access_info_en = TextAreaField(_l("Accès (anglais)"), validators=[Length(max=1000)])


class ReminderForm(FlaskForm):
    """A reminder some hours or days before each session."""

    amount = IntegerField(
        _l("Combien de temps avant"),
        validators=[
            InputRequired(_l("Indiquez un nombre.")),
            NumberRange(min=1, max=336, message=_l("Entre 1 et 336.")),
        ],
    )
    unit = SelectField(
        _l("Unité"),
        choices=choices([("hours", _l("heures avant")), ("days", _l("jours avant"))]),
    )


def delay_label(minutes: int) -> str:
    """« 2 jours avant », « 3 h avant »."""
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return (
            gettext("%(num)d jour avant", num=days)
            if days == 1
            else gettext("%(num)d jours avant", num=days)
        )
    if minutes % 60 == 0:
        return gettext("%(num)d h avant", num=minutes // 60)
    return gettext("%(num)d min avant", num=minutes)


def the_event(event_id: int) -> Event:
    """The event named by the URL, or 404."""
    event = mail_texts.event_of(event_id)
    if event is None:
        abort(404)
    return event


def the_kind(kind: str) -> str:
    """The kind named by the URL, or 404."""
    if kind not in EDITABLE_KINDS:
        abort(404)
    return kind


@bp.get("/mails")
def mails_index() -> str:
    """The week's default words, kind by kind."""
    return render_template("admin/mails_index.html", kinds=KIND_LABELS, event=None)


@bp.get("/events/<int:event_id>/mails")
def event_mails(event_id: int) -> tuple[str, int]:
    """An event's mails, practical details and reminders."""
    event = the_event(event_id)
    return _event_page(event, PracticalForm(obj=event), ReminderForm())


def _event_page(
    event: Event, practical: PracticalForm, reminder: ReminderForm, status: int = 200
) -> tuple[str, int]:
    """The event's mails page with these forms (and their errors)."""
    return render_template(
        "admin/mails_index.html",
        event=event,
        kinds=KIND_LABELS,
        overridden=mail_texts.overridden_kinds(event.id),
        practical=practical,
        reminder=reminder,
        rules=reminders.rules_of(event.id),
        delay_label=delay_label,
    ), status


@bp.post("/events/<int:event_id>/practical")
def save_practical(event_id: int) -> Response | tuple[str, int]:
    """Save an event's practical details."""
    event = the_event(event_id)
    form = PracticalForm()
    if not form.validate_on_submit():
        return _event_page(event, form, ReminderForm(), 422)
    mail_texts.save_practical(
        event_id,
        {name: (form[name].data or "").strip() for name in mail_texts.PRACTICAL},
        actor=actor(),
    )
    flash(gettext("Infos pratiques enregistrées."), "success")
    return redirect(url_for(".event_mails", event_id=event_id), code=303)


@bp.post("/events/<int:event_id>/reminders")
def add_reminder(event_id: int) -> Response | tuple[str, int]:
    """Add a reminder to an event."""
    event = the_event(event_id)
    form = ReminderForm()
    if form.validate_on_submit():
        per_unit = 24 * 60 if form.unit.data == "days" else 60
        try:
            reminders.add_rule(event_id, int(form.amount.data or 0) * per_unit, actor=actor())
        except DomainError as error:
            show_refusal(form, error)
        else:
            flash(gettext("Rappel ajouté."), "success")
            return redirect(url_for(".event_mails", event_id=event_id) + "#reminders", code=303)
    return _event_page(event, PracticalForm(obj=event), form, 422)


@bp.post("/events/<int:event_id>/reminders/<int:rule_id>/delete")
def remove_reminder(event_id: int, rule_id: int) -> Response:
    """Remove one of an event's reminders."""
    the_event(event_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    if not reminders.remove_rule(event_id, rule_id, actor=actor()):
        abort(404)
    flash(gettext("Rappel supprimé."), "success")
    return redirect(url_for(".event_mails", event_id=event_id) + "#reminders", code=303)


@bp.route("/mails/<kind>", methods=["GET", "POST"])
@bp.route("/events/<int:event_id>/mails/<kind>", methods=["GET", "POST"])
def edit_mail(kind: str, event_id: int | None = None) -> Response | tuple[str, int]:
    """Edit one kind's words (the week's default, or an event's own), with their preview."""
    kind = the_kind(kind)
    event = the_event(event_id) if event_id is not None else None
    current, origin = mail_texts.current_fields(kind, event_id)
    form = MailTextForm(data=current.__dict__) if request.method == "GET" else MailTextForm()
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            status = 422
        elif request.form.get("action") != "preview":
            try:
                mail_texts.save_text(kind, event_id, form.fields(), actor=actor())
            except DomainError as error:
                show_refusal(form, error)
                status = 422
            else:
                flash(gettext("Texte enregistré."), "success")
                return redirect(request.path, code=303)
    preview = _preview(kind, event_id, form)
    if is_htmx_request() and request.form.get("action") == "preview":
        return render_template("admin/_mail_preview.html", preview=preview), 200
    return render_template(
        "admin/mails_edit.html",
        form=form,
        kind=kind,
        kind_label=KIND_LABELS[kind],
        event=event,
        origin=origin,
        placeholders=PLACEHOLDERS,
        preview=preview,
    ), status


def _preview(kind: str, event_id: int | None, form: MailTextForm) -> dict[str, object] | None:
    """The preview with a real booking, or None when the event has none yet."""
    booking = mail_texts.sample_booking(event_id)
    if booking is None:
        return None
    fields = form.fields()
    unknown = [name for name in mail_texts.FIELDS if form[name].errors]
    return {
        "booking": booking,
        "languages": mail_texts.preview(kind, booking, fields),
        "stale": bool(unknown),
    }


@bp.post("/mails/<kind>/reset")
def reset_week_mail(kind: str) -> Response:
    """Drop the week's words: the site's apply again."""
    return _reset(the_kind(kind), None)


@bp.post("/events/<int:event_id>/mails/<kind>/reset")
def reset_mail(event_id: int, kind: str) -> Response:
    """Drop the event's words: the week's apply again."""
    the_event(event_id)
    return _reset(the_kind(kind), event_id)


def _reset(kind: str, event_id: int | None) -> Response:
    if not FlaskForm().validate_on_submit():
        abort(400)
    # Nothing to drop is not an error: either way the default applies now.
    mail_texts.reset_text(kind, event_id, actor=actor())
    flash(gettext("Texte par défaut rétabli."), "success")
    target = (
        url_for(".edit_mail", kind=kind, event_id=event_id)
        if event_id is not None
        else url_for(".edit_mail", kind=kind)
    )
    return redirect(target, code=303)
