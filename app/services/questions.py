"""An event's own booking questions: the organisers edit them, the public answers them.

The booking and waiting-list forms ask them after the standard fields. The answers are
checked here (required, a choice of the list, a length limit) and stored in the booking's
own transaction; they are personal data, purged and erased with the booking's details
(services/privacy.py).

A question removed while some party has answered it is retired, not deleted: the forms
stop asking it and its answers stay readable on the lists (the organisers asked for a
reason). One nobody has answered yet is simply deleted.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select

from ..database import writing
from ..extensions import db
from ..i18n import current_language, gettext
from ..models import Booking, BookingAnswer, BookingQuestion, Event, QuestionKind
from ..timeutil import utcnow
from . import ledger
from .audit import audit
from .errors import N_, DomainError

# The longest answer a short-text question takes (the door line must stay short).
MAX_ANSWER = 200
MAX_LABEL = 200
MAX_CHOICES = 20
YES, NO = "yes", "no"


# ------------------------------------------------------------------------------- errors


class QuestionNotFound(DomainError):
    """No such question on this event."""

    code, status = "question_not_found", 404
    text = N_("Cette question n’existe pas.")


class QuestionLabelMissing(DomainError):
    """A question needs its French wording."""

    code, status, field = "question_label_missing", 422, "label_fr"
    text = N_("Écrivez la question en français.")


class QuestionChoicesInvalid(DomainError):
    """A list question needs at least two distinct choices, at most ``MAX_CHOICES``."""

    code, status, field = "question_choices_invalid", 422, "choices_fr"
    text = N_("Donnez entre 2 et %(max)d choix différents, un par ligne.")

    def text_values(self) -> dict[str, Any]:
        """The largest list."""
        return {"max": MAX_CHOICES}


class QuestionChoicesMismatch(DomainError):
    """The English choices must match the French ones line by line (or be left empty)."""

    code, status, field = "question_choices_mismatch", 422, "choices_en"
    text = N_(
        "Donnez autant de choix en anglais qu’en français, dans le même ordre, "
        "ou laissez ce champ vide."
    )


# What each problem with an answer is called, and what the visitor is told next to it.
ANSWER_PROBLEMS = {
    "required": N_("Répondez à cette question."),
    "not_in_list": N_("Choisissez une réponse dans la liste."),
    "yes_no": N_("Répondez par oui ou par non."),
    "too_long": N_("Merci de rester sous 200 caractères."),
    "control": N_("Ce champ contient des caractères non autorisés."),
}


class AnswersRefused(DomainError):
    """Some answers cannot be taken; ``problems`` maps a question's id to what is wrong."""

    code, status, positional = "answers_refused", 422, ("problems",)
    text = N_("Vérifiez les réponses signalées ci-dessous.")

    def messages(self) -> dict[int, str]:
        """Each refused question's message, in the current language."""
        return {qid: gettext(ANSWER_PROBLEMS[problem]) for qid, problem in self.problems.items()}


# ---------------------------------------------------------------------- what the forms ask


def _lines(text: str) -> tuple[str, ...]:
    """The non-empty lines of a text area, trimmed."""
    return tuple(line.strip() for line in text.splitlines() if line.strip())


@dataclass(frozen=True)
class AskedQuestion:
    """A question as the public forms ask it: plain values, safe to keep between requests."""

    id: int
    kind: str
    required: bool
    label_fr: str
    label_en: str
    choices_fr: tuple[str, ...]
    choices_en: tuple[str, ...]

    @property
    def name(self) -> str:
        """The form field's name (and the id of its input)."""
        return f"question-{self.id}"

    def label(self, language: str | None = None) -> str:
        """The wording in ``language`` (the page's by default); the French one without English."""
        language = language or current_language()
        return self.label_en if language == "en" and self.label_en else self.label_fr

    def choices(self, language: str | None = None) -> list[tuple[str, str]]:
        """(value sent, text shown) of each choice; the value is the French wording."""
        language = language or current_language()
        shown = self.choices_en if language == "en" and self.choices_en else self.choices_fr
        return list(zip(self.choices_fr, shown, strict=True))

    def shown_answer(self, value: str) -> str:
        """A stored answer as the page's language says it."""
        if self.kind == QuestionKind.YES_NO:
            return gettext("oui") if value == YES else gettext("non") if value == NO else value
        if self.kind == QuestionKind.CHOICE:
            return dict(self.choices()).get(value, value)
        return value

    @classmethod
    def of(cls, question: BookingQuestion) -> AskedQuestion:
        """The plain values of a stored question."""
        return _asked(question)


def _asked(question: BookingQuestion) -> AskedQuestion:
    choices_fr = _lines(question.choices_fr)
    choices_en = _lines(question.choices_en)
    return AskedQuestion(
        id=question.id,
        kind=question.kind.value,
        required=question.required,
        label_fr=question.label_fr,
        label_en=question.label_en,
        choices_fr=choices_fr,
        choices_en=choices_en if len(choices_en) == len(choices_fr) else (),
    )


def event_questions(event_id: int, *, with_removed: bool = False) -> list[BookingQuestion]:
    """An event's questions in their order (the retired ones last, when asked for)."""
    query = select(BookingQuestion).where(BookingQuestion.event_id == event_id)
    if not with_removed:
        query = query.where(BookingQuestion.removed_at.is_(None))
    query = query.order_by(
        BookingQuestion.removed_at.is_not(None), BookingQuestion.position, BookingQuestion.id
    )
    return list(db.session.scalars(query))


def asked(event_id: int) -> tuple[AskedQuestion, ...]:
    """The questions the event's forms ask, in their order."""
    return tuple(_asked(q) for q in event_questions(event_id))


# ------------------------------------------------------------------------------ answers


def _problem(question: AskedQuestion, value: str) -> str | None:
    """What is wrong with ``value`` as an answer to ``question``, or None."""
    if not value:
        return "required" if question.required else None
    if question.kind == QuestionKind.CHOICE:
        return None if value in question.choices_fr else "not_in_list"
    if question.kind == QuestionKind.YES_NO:
        return None if value in (YES, NO) else "yes_no"
    if len(value) > MAX_ANSWER:
        return "too_long"
    if any(unicodedata.category(char) == "Cc" for char in value):
        return "control"
    return None


def answer_problems(
    questions: Iterable[AskedQuestion], raw: Mapping[int, str], *, enforce_required: bool = True
) -> tuple[dict[int, str], dict[int, str]]:
    """The answers to keep (question id → value) and the problems (id → problem code)."""
    kept: dict[int, str] = {}
    problems: dict[int, str] = {}
    for question in questions:
        value = (raw.get(question.id) or "").strip()
        problem = _problem(question, value)
        if problem == "required" and not enforce_required:
            continue
        if problem:
            problems[question.id] = problem
        elif value:
            kept[question.id] = value
    return kept, problems


def check_answers(
    event_id: int, raw: Mapping[int, str], *, enforce_required: bool = True
) -> dict[int, str]:
    """The answers to store for a booking of ``event_id``, or ``AnswersRefused``.

    Answers to questions the event does not ask (any more) are dropped. Organisers
    booking by phone pass ``enforce_required=False``: they ask what they can.
    """
    kept, problems = answer_problems(asked(event_id), raw, enforce_required=enforce_required)
    if problems:
        raise AnswersRefused(problems)
    return kept


def store_answers(booking: Booking, answers: Mapping[int, str]) -> None:
    """Write a new booking's answers, in its transaction (the caller is in ``writing()``)."""
    for question_id, value in answers.items():
        db.session.add(BookingAnswer(booking_id=booking.id, question_id=question_id, value=value))


@dataclass(frozen=True)
class AnswerLine:
    """One answer as the lists show it: the question's wording and the answer's."""

    question_id: int
    label: str
    answer: str

    def __str__(self) -> str:
        separator = "\u202f: " if current_language() == "fr" else ": "
        return f"{self.label}{separator}{self.answer}"


def answer_lines(bookings: Iterable[Booking]) -> dict[int, list[AnswerLine]]:
    """Each booking's answers in the questions' order, in one query (booking id → lines).

    A waiting row that is a change of another booking shows its lead's answers: the
    party answered once.
    """
    owner = {b.id: b.changes_booking_id or b.id for b in bookings}
    if not owner:
        return {}
    rows = db.session.execute(
        select(BookingAnswer.booking_id, BookingAnswer.value, BookingQuestion)
        .join(BookingQuestion, BookingAnswer.question_id == BookingQuestion.id)
        .where(BookingAnswer.booking_id.in_(set(owner.values())))
        .order_by(
            BookingQuestion.removed_at.is_not(None), BookingQuestion.position, BookingQuestion.id
        )
    ).all()
    by_owner: dict[int, list[AnswerLine]] = {}
    for booking_id, value, question in rows:
        shown = _asked(question)
        by_owner.setdefault(booking_id, []).append(
            AnswerLine(question.id, shown.label(), shown.shown_answer(value))
        )
    return {bid: by_owner[oid] for bid, oid in owner.items() if oid in by_owner}


def answers_text(lines: Iterable[AnswerLine]) -> str:
    """A booking's answers on one line (the door tablet, the printable list)."""
    return " · ".join(str(line) for line in lines)


def answers_export(booking_ids: list[int]) -> dict[int, list[dict[str, str]]]:
    """The answers of these bookings for a personal-data export, in both wordings."""
    if not booking_ids:
        return {}
    rows = db.session.execute(
        select(BookingAnswer.booking_id, BookingAnswer.value, BookingQuestion)
        .join(BookingQuestion, BookingAnswer.question_id == BookingQuestion.id)
        .where(BookingAnswer.booking_id.in_(booking_ids))
        .order_by(BookingQuestion.position, BookingQuestion.id)
    ).all()
    found: dict[int, list[dict[str, str]]] = {}
    for booking_id, value, question in rows:
        found.setdefault(booking_id, []).append(
            {"question": question.label_fr, "question_en": question.label_en, "answer": value}
        )
    return found


def erase_answers(booking_ids: list[int]) -> int:
    """Delete the answers of these bookings (purge, self-erasure); return how many."""
    if not booking_ids:
        return 0
    result = db.session.execute(
        delete(BookingAnswer).where(BookingAnswer.booking_id.in_(booking_ids))
    )
    return int(getattr(result, "rowcount", 0) or 0)


# ---------------------------------------------------------------------- organisers' edits


@dataclass(frozen=True)
class QuestionFields:
    """What the organisers' question form sends."""

    kind: QuestionKind
    label_fr: str
    label_en: str = ""
    required: bool = False
    choices_fr: str = ""
    choices_en: str = ""


def _cleaned(fields: QuestionFields) -> dict[str, Any]:
    """The fields as stored, or why not."""
    label_fr = " ".join(fields.label_fr.split())
    if not label_fr:
        raise QuestionLabelMissing()
    values: dict[str, Any] = {
        "kind": fields.kind,
        "label_fr": label_fr[:MAX_LABEL],
        "label_en": " ".join(fields.label_en.split())[:MAX_LABEL],
        "required": fields.required,
        "choices_fr": "",
        "choices_en": "",
    }
    if fields.kind is QuestionKind.CHOICE:
        french, english = _lines(fields.choices_fr), _lines(fields.choices_en)
        if not 2 <= len(french) <= MAX_CHOICES or len(set(french)) != len(french):
            raise QuestionChoicesInvalid()
        if english and len(english) != len(french):
            raise QuestionChoicesMismatch()
        values["choices_fr"] = "\n".join(french)
        values["choices_en"] = "\n".join(english)
    return values


def find_question(event_id: int, question_id: int) -> BookingQuestion:
    """One of the event's questions (retired ones too), or ``QuestionNotFound``."""
    question = db.session.get(BookingQuestion, question_id)
    if question is None or question.event_id != event_id:
        raise QuestionNotFound()
    return question


def answer_counts(event_id: int) -> dict[int, int]:
    """How many parties answered each of the event's questions."""
    rows = db.session.execute(
        select(BookingAnswer.question_id, func.count())
        .join(BookingQuestion, BookingAnswer.question_id == BookingQuestion.id)
        .where(BookingQuestion.event_id == event_id)
        .group_by(BookingAnswer.question_id)
    ).all()
    return {question_id: int(count) for question_id, count in rows}


def add_question(event_id: int, fields: QuestionFields, *, actor: str) -> BookingQuestion:
    """Add a question at the end of the event's list."""
    values = _cleaned(fields)
    with writing():
        if db.session.get(Event, event_id) is None:
            raise QuestionNotFound()
        last = db.session.scalar(
            select(func.max(BookingQuestion.position)).where(BookingQuestion.event_id == event_id)
        )
        question = BookingQuestion(
            event_id=event_id,
            position=(last or 0) + 1,
            updated_at=utcnow(),
            updated_by=actor,
            **values,
        )
        db.session.add(question)
        db.session.flush()
        audit("question.added", actor, event_id=event_id, question_id=question.id)
        ledger.bump_change_counter()  # the session pages' forms ask it at once
        return question


def save_question(
    event_id: int, question_id: int, fields: QuestionFields, *, actor: str
) -> BookingQuestion:
    """Change a question's wording, kind, choices or whether it is required.

    Answers already given keep their words: a renamed choice shows as it was chosen.
    """
    values = _cleaned(fields)
    with writing():
        question = find_question(event_id, question_id)
        changed = [name for name, value in values.items() if getattr(question, name) != value]
        for name, value in values.items():
            setattr(question, name, value)
        question.updated_at = utcnow()
        question.updated_by = actor
        audit("question.saved", actor, event_id=event_id, question_id=question_id, fields=changed)
        ledger.bump_change_counter()
        return question


def move_question(event_id: int, question_id: int, step: int, *, actor: str) -> bool:
    """Move a question one place up (``step`` -1) or down (+1); False at either end."""
    with writing():
        question = find_question(event_id, question_id)
        order = event_questions(event_id)
        if question not in order:
            return False
        index = order.index(question)
        target = index + (1 if step > 0 else -1)
        if not 0 <= target < len(order):
            return False
        order[index], order[target] = order[target], order[index]
        for position, item in enumerate(order, start=1):
            item.position = position
        audit("question.moved", actor, event_id=event_id, question_id=question_id, to=target + 1)
        ledger.bump_change_counter()
        return True


def remove_question(event_id: int, question_id: int, *, actor: str) -> str:
    """Remove a question: deleted when nobody answered it, else retired (answers kept).

    Returns ``"deleted"`` or ``"retired"``.
    """
    with writing():
        question = find_question(event_id, question_id)
        answered = db.session.scalar(
            select(func.count()).where(BookingAnswer.question_id == question_id)
        )
        if answered:
            question.removed_at = question.removed_at or utcnow()
            question.updated_by = actor
            outcome = "retired"
        else:
            db.session.delete(question)
            outcome = "deleted"
        audit(f"question.{outcome}", actor, event_id=event_id, question_id=question_id)
        ledger.bump_change_counter()
        return outcome
