"""An event's own booking questions, and what each party answered."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from ..timeutil import utcnow
from .types import UTCDateTime, enum_column


class QuestionKind(enum.StrEnum):
    """What a question asks for."""

    TEXT = "text"  # a short text
    CHOICE = "choice"  # one choice of a list
    YES_NO = "yes_no"


class BookingQuestion(Model):
    """A question an event's booking and waiting-list forms ask, after the standard fields.

    ``choices_fr`` and ``choices_en`` hold one choice per line, in the same order (no
    English line: the French one is shown). A question removed while it has answers is
    only retired (``removed_at``): the forms stop asking it, its answers stay readable on
    the lists until they are purged with the rest of the booking's details.
    """

    __tablename__ = "booking_question"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    kind: Mapped[QuestionKind] = mapped_column(enum_column(QuestionKind))
    required: Mapped[bool] = mapped_column(default=False)
    label_fr: Mapped[str] = mapped_column(String(200))
    label_en: Mapped[str] = mapped_column(String(200), default="")
    choices_fr: Mapped[str] = mapped_column(Text, default="")
    choices_en: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(254), default="")


class BookingAnswer(Model):
    """A party's answer to one question (personal data: purged and erased with the booking).

    It belongs to the party's booking row, which a waiting party keeps when it gets its
    seats and a booking keeps when it moves: the answers follow without being copied.
    ``value``: the text typed, the French wording of the choice made, or ``yes``/``no``.
    """

    __tablename__ = "booking_answer"
    __table_args__ = (
        UniqueConstraint("booking_id", "question_id", name="uq_booking_answer_booking_question"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("booking_question.id"), index=True)
    value: Mapped[str] = mapped_column(Text, default="")
