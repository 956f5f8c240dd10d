"""An event's own booking questions: add, edit, reorder, remove (plain forms, audited).

The list and the "add" form share one page; each question has its own edit page. The
service decides what removing means (a question with answers is retired, its answers
kept readable).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..forms import show_refusal
from ..i18n import gettext
from ..i18n import lazy_gettext as _l
from ..models import BookingQuestion, Event, QuestionKind
from ..services import mail_texts, questions
from ..services.errors import DomainError
from . import bp
from .common import actor
from .forms import choices

KIND_LABELS = {
    QuestionKind.TEXT: _l("Texte court"),
    QuestionKind.CHOICE: _l("Un choix dans une liste"),
    QuestionKind.YES_NO: _l("Oui ou non"),
}


class QuestionForm(FlaskForm):
    """One question, in French and (optionally) English."""

    kind = SelectField(_l("Type de réponse"), validators=[DataRequired()])
    label_fr = StringField(
        _l("Question (français)"),
        validators=[
            DataRequired(_l("Écrivez la question en français.")),
            Length(max=200, message=_l("Merci de rester sous 200 caractères.")),
        ],
    )
    label_en = StringField(
        _l("Question (anglais, facultatif)"),
        validators=[
            Optional(),
            Length(max=200, message=_l("Merci de rester sous 200 caractères.")),
        ],
    )
    required = BooleanField(_l("Réponse obligatoire"))
    choices_fr = TextAreaField(
        _l("Choix (français), un par ligne"),
        validators=[Length(max=4000, message=_l("Merci de rester sous 4 000 caractères."))],
    )
    choices_en = TextAreaField(
        _l("Choix (anglais), un par ligne, dans le même ordre"),
        validators=[Length(max=4000, message=_l("Merci de rester sous 4 000 caractères."))],
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = choices((kind.value, str(label)) for kind, label in KIND_LABELS.items())

    def fields(self) -> questions.QuestionFields:
        """What was typed, as the service takes it."""
        return questions.QuestionFields(
            kind=QuestionKind(self.kind.data),
            label_fr=self.label_fr.data or "",
            label_en=self.label_en.data or "",
            required=bool(self.required.data),
            choices_fr=self.choices_fr.data or "",
            choices_en=self.choices_en.data or "",
        )


def the_event(event_id: int) -> Event:
    """The event, or 404."""
    event = mail_texts.event_of(event_id)
    if event is None:
        abort(404)
    return event


def _page(event: Event, form: QuestionForm, status: int = 200) -> tuple[str, int]:
    return render_template(
        "admin/questions.html",
        event=event,
        questions=questions.event_questions(event.id, with_removed=True),
        counts=questions.answer_counts(event.id),
        form=form,
        order_form=FlaskForm(),
        kind_labels=KIND_LABELS,
    ), status


@bp.route("/events/<int:event_id>/questions", methods=["GET", "POST"])
def event_questions(event_id: int) -> Response | tuple[str, int]:
    """The event's questions; POST adds one at the end."""
    event = the_event(event_id)
    form = QuestionForm()
    if request.method == "GET":
        return _page(event, form)
    if form.validate_on_submit():
        try:
            questions.add_question(event_id, form.fields(), actor=actor())
        except DomainError as error:
            if message := show_refusal(form, error):
                flash(message, "error")
            return _page(event, form, error.status)
        flash(gettext("Question ajoutée."), "success")
        return redirect(url_for(".event_questions", event_id=event_id), code=303)
    return _page(event, form, 422)


def _found(event_id: int, question_id: int) -> BookingQuestion:
    try:
        return questions.find_question(event_id, question_id)
    except questions.QuestionNotFound:
        abort(404)


@bp.route("/events/<int:event_id>/questions/<int:question_id>", methods=["GET", "POST"])
def edit_question(event_id: int, question_id: int) -> Response | tuple[str, int]:
    """Change one question's wording, kind, choices or whether it is required."""
    event = the_event(event_id)
    question = _found(event_id, question_id)
    if request.method == "GET":
        form = QuestionForm(obj=question)
        form.kind.data = question.kind.value
    else:
        form = QuestionForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                questions.save_question(event_id, question_id, form.fields(), actor=actor())
            except DomainError as error:
                if message := show_refusal(form, error):
                    flash(message, "error")
                status = error.status
            else:
                flash(gettext("Question enregistrée."), "success")
                return redirect(url_for(".event_questions", event_id=event_id), code=303)
        else:
            status = 422
    answered = questions.answer_counts(event_id).get(question_id, 0)
    return render_template(
        "admin/question_edit.html", event=event, question=question, form=form, answered=answered
    ), status


@bp.post("/events/<int:event_id>/questions/<int:question_id>/move")
def move_question(event_id: int, question_id: int) -> Response:
    """Move a question one place up or down (``direction``)."""
    the_event(event_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    _found(event_id, question_id)
    back = redirect(url_for(".event_questions", event_id=event_id), code=303)
    direction = request.form.get("direction")
    if direction not in ("up", "down"):
        flash(gettext("Choisissez de monter ou de descendre la question."), "error")
        return back
    questions.move_question(event_id, question_id, -1 if direction == "up" else 1, actor=actor())
    flash(gettext("Ordre des questions enregistré."), "success")
    return back


@bp.post("/events/<int:event_id>/questions/<int:question_id>/remove")
def remove_question(event_id: int, question_id: int) -> Response:
    """Remove a question; one that has answers is retired and its answers kept."""
    the_event(event_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    _found(event_id, question_id)
    outcome = questions.remove_question(event_id, question_id, actor=actor())
    if outcome == "retired":
        flash(
            gettext(
                "Question retirée des formulaires. Les réponses déjà données restent "
                "sur les listes jusqu’à leur effacement."
            ),
            "success",
        )
    else:
        flash(gettext("Question supprimée."), "success")
    return redirect(url_for(".event_questions", event_id=event_id), code=303)
