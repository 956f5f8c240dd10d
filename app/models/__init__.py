"""All models, importable from one place (Alembic and the CLI need every table)."""

from .audit import AuditEntry
from .booking import SEAT_HOLDING_STATUSES, Booking, BookingStatus
from .checkin import CheckIn, DoorAction, StandbyEntry, StandbyStatus
from .live import SEATS_COUNTER, ChangeCounter
from .mail_text import MailText, ReminderRule, SentReminder
from .outbox import OutboxMessage, OutboxStatus
from .programme import Event, EventKind, EventSession, Venue
from .question import BookingAnswer, BookingQuestion, QuestionKind
from .specimen import Specimen, SpecimenCategory, SpecimenImage
from .staff import LoginThrottle, Role, StaffUser

__all__ = [
    "SEATS_COUNTER",
    "SEAT_HOLDING_STATUSES",
    "AuditEntry",
    "Booking",
    "BookingAnswer",
    "BookingQuestion",
    "BookingStatus",
    "ChangeCounter",
    "CheckIn",
    "DoorAction",
    "Event",
    "EventKind",
    "EventSession",
    "LoginThrottle",
    "MailText",
    "OutboxMessage",
    "OutboxStatus",
    "QuestionKind",
    "ReminderRule",
    "Role",
    "SentReminder",
    "Specimen",
    "SpecimenCategory",
    "SpecimenImage",
    "StaffUser",
    "StandbyEntry",
    "StandbyStatus",
    "Venue",
]
