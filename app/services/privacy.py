"""Personal data (GDPR): erase it on request or after the retention period, export it.

What the app keeps about a member of the public: the name, e-mail address, phone number
and accessibility needs typed in the booking form, and the answers to the event's own
questions (services/questions.py); the mails sent to them (the outbox
keeps the rendered message and a small context); the name given at the door's standby
queue; and the reasons organisers write when they change a waiting party's priority
(kept in the booking and in the audit log).

*Anonymising* blanks all of that and keeps everything the seat ledger and the statistics
count: sessions, seats, statuses, dates, check-ins, sources. The answers are deleted
(they are nothing but what the person typed or chose). Mails not yet sent are
dropped, as nobody can receive them any more. The booking's ``personal_data_purged_at``
makes the operation idempotent and closes its secret link (``BookingErased``).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import CursorResult, delete, func, or_, select

from ..database import writing
from ..extensions import db
from ..models import (
    AuditEntry,
    Booking,
    BookingStatus,
    CheckIn,
    EventSession,
    OutboxMessage,
    OutboxStatus,
    StandbyEntry,
)
from ..timeutil import utcnow
from . import booking as booking_service
from . import party_endings, questions, waiting_party
from .audit import audit
from .booking_errors import AlreadyCancelled, PartyInside, SessionStarted

# Keys of ``AuditEntry.data`` that may hold what a person or an organiser typed about
# someone (a priority's reason, a name): removed when that person's data is erased.
PERSONAL_AUDIT_KEYS = frozenset({"reason", "name", "email", "phone"})


def retention_days() -> int:
    """Days after its session that a booking keeps its people's details."""
    return int(current_app.config["PERSONAL_DATA_RETENTION_DAYS"])


@dataclass
class PurgeReport:
    """How many rows one erasure or purge anonymised (or dropped, for unsent mails)."""

    bookings: int = 0
    standby_entries: int = 0
    outbox_messages: int = 0
    audit_entries: int = 0
    answers: int = 0

    def add(self, other: PurgeReport) -> None:
        """Add another report's counts to this one."""
        self.bookings += other.bookings
        self.standby_entries += other.standby_entries
        self.outbox_messages += other.outbox_messages
        self.audit_entries += other.audit_entries
        self.answers += other.answers


def _strip_audit(entries: list[AuditEntry]) -> int:
    """Remove the personal keys from audit entries; return how many changed."""
    changed = 0
    for entry in entries:
        data = dict(entry.data or {})
        if PERSONAL_AUDIT_KEYS.isdisjoint(data):
            continue
        entry.data = {key: value for key, value in data.items() if key not in PERSONAL_AUDIT_KEYS}
        changed += 1
    return changed


def _anonymise_outbox(booking_ids: list[int]) -> int:
    """Drop every mail of these bookings not yet sent and blank the sent ones; return how many.

    A mail being sent right now goes too: blanked, it could come back to the queue after
    an SMTP error and go out empty to nobody. Its sender finds the row gone and moves on.
    """
    if not booking_ids:
        return 0
    deleted: CursorResult[Any] = db.session.execute(  # type: ignore[assignment]
        delete(OutboxMessage).where(
            OutboxMessage.booking_id.in_(booking_ids),
            OutboxMessage.status != OutboxStatus.SENT,
        )
    )
    dropped = deleted.rowcount
    kept = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.booking_id.in_(booking_ids), OutboxMessage.recipient != ""
        )
    ).all()
    for message in kept:
        message.recipient = ""
        message.body_text = ""
        message.body_html = ""
        message.attachments = []
        message.context = {}
        message.last_error = ""  # an SMTP refusal quotes the address
    return int(dropped or 0) + len(kept)


def anonymise(bookings: list[Booking], now: datetime) -> PurgeReport:
    """Blank the people's details of ``bookings`` and of the rows that repeat them.

    The caller is inside the unit of work (``database.writing``).
    """
    report = PurgeReport()
    fresh = [b for b in bookings if b.personal_data_purged_at is None]
    for booking in fresh:
        booking.name = ""
        booking.email = ""
        booking.phone = ""
        booking.accessibility_needs = ""
        booking.priority_reason = ""
        booking.request_nonce = None
        booking.personal_data_purged_at = now
    report.bookings = len(fresh)
    ids = [b.id for b in fresh]
    if not ids:
        return report
    standby = db.session.scalars(
        select(StandbyEntry).where(StandbyEntry.booking_id.in_(ids), StandbyEntry.name != "")
    ).all()
    for entry in standby:
        entry.name = ""
    report.standby_entries = len(standby)
    report.answers = questions.erase_answers(ids)
    report.outbox_messages = _anonymise_outbox(ids)
    report.audit_entries = _strip_audit(
        list(db.session.scalars(select(AuditEntry).where(AuditEntry.booking_id.in_(ids))))
    )
    return report


def purge_personal_data(days: int | None = None, now: datetime | None = None) -> PurgeReport:
    """Anonymise everything about people whose session ended more than ``days`` ago.

    Running it again changes nothing. Seat counts, statuses and check-ins stay, so the
    statistics and the ledger are the same before and after.
    """
    now = now or utcnow()
    days = retention_days() if days is None else days
    cutoff = now - timedelta(days=days)
    with writing():
        old_sessions = select(EventSession.id).where(EventSession.ends_at < cutoff)
        bookings = db.session.scalars(
            select(Booking).where(
                Booking.session_id.in_(old_sessions), Booking.personal_data_purged_at.is_(None)
            )
        ).all()
        report = anonymise(list(bookings), now)
        # The door's standby queue and the audit log also hold names and reasons that are
        # not tied to a booking (someone who waited at the door and left).
        standby = db.session.scalars(
            select(StandbyEntry).where(
                StandbyEntry.session_id.in_(old_sessions), StandbyEntry.name != ""
            )
        ).all()
        for entry in standby:
            entry.name = ""
        report.standby_entries += len(standby)
        report.audit_entries += _strip_audit(
            list(
                db.session.scalars(
                    select(AuditEntry).where(AuditEntry.session_id.in_(old_sessions))
                )
            )
        )
        return report


def erasure_cancels(booking: Booking, now: datetime) -> bool:
    """Whether erasing ``booking`` now also cancels it (and gives its seats back).

    Confirmed seats of a session that has started stay taken: the people may be inside.
    So do those of a party some of whom are already in: the others may still come with
    the ticket (the door keeps letting it in, nameless).
    """
    if not booking.is_active or booking.checked_in_seats > 0:
        return False
    return not (booking.status is BookingStatus.CONFIRMED and now >= booking.session.starts_at)


def erase_booking(token: str, *, now: datetime | None = None) -> Booking:
    """The booker erases their own data from their booking page.

    A booking that still holds or awaits seats is cancelled first, through the usual
    service: its seats go back to the session and the waiting list moves on. A session
    already under way keeps its confirmed seats (people may be inside); only the details
    go. Raises ``BookingNotFound`` or ``BookingErased`` for a dead link.
    """
    now = now or utcnow()
    booking = waiting_party.lead_of(booking_service.get_by_token(token))
    with writing():
        # Its change rows (waiting elsewhere, to move, for more seats) end first, whatever
        # becomes of the booking itself: a party leaving its list would otherwise go on
        # waiting on another one, nameless. They repeat its people's details.
        waiting_party.lock_party_sessions(booking)
        party_endings.end_change_rows(booking, actor="public", now=now)
        if erasure_cancels(booking, now):
            # Someone may have cancelled it meanwhile, the session just started or part of
            # the party just came in: then nothing is given back, the details go all the
            # same.
            with contextlib.suppress(SessionStarted, AlreadyCancelled, PartyInside):
                booking = booking_service.cancel(booking.token, now=now)
        changes = waiting_party.all_change_rows(booking)
        anonymise([booking, *changes], now)
        audit("booking.erased", "public", booking, seats=booking.seats)
        for change in changes:
            audit("booking.erased", "public", change, seats=change.seats, lead=booking.id)
        return booking


# --------------------------------------------------------------------------------- export


def _iso(moment: datetime | None) -> str | None:
    """A timestamp for the export (UTC, ISO 8601)."""
    return moment.isoformat() if moment else None


def address_digest(email: str) -> str:
    """A keyed fingerprint of an address, so the audit log can say whose data was exported
    without itself keeping the address."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, email.encode(), hashlib.sha256).hexdigest()[:16]


def _booking_json(booking: Booking, answers: list[dict[str, str]]) -> dict[str, Any]:
    """A booking as exported (its secret link is left out: it is a key, not a fact)."""
    session = booking.session
    return {
        "id": booking.id,
        "session": {
            "id": session.id,
            "event": session.event.title,
            "starts_at": _iso(session.starts_at),
            "ends_at": _iso(session.ends_at),
        },
        "name": booking.name,
        "email": booking.email,
        "phone": booking.phone,
        "seats": booking.seats,
        "status": booking.status.value,
        "accessibility_needs": booking.accessibility_needs,
        "language": booking.locale,
        "source": booking.source,
        "ticket_code": booking.ticket_code,
        "priority": booking.priority,
        "priority_reason": booking.priority_reason,
        "ended_reason": booking.ended_reason,
        "checked_in_seats": booking.checked_in_seats,
        "created_at": _iso(booking.created_at),
        "updated_at": _iso(booking.updated_at),
        "offered_at": _iso(booking.offered_at),
        "offer_expires_at": _iso(booking.offer_expires_at),
        "reminder_sent_at": _iso(booking.reminder_sent_at),
        "cancelled_at": _iso(booking.cancelled_at),
        "answers": answers,
    }


def _message_json(message: OutboxMessage) -> dict[str, Any]:
    """A mail as exported: to whom, what, when, and whether it went."""
    return {
        "id": message.id,
        "booking_id": message.booking_id,
        "kind": message.kind,
        "recipient": message.recipient,
        "subject": message.subject,
        "body_text": message.body_text,
        "context": {k: v for k, v in (message.context or {}).items() if k != "base_url"},
        "status": message.status.value,
        "created_at": _iso(message.created_at),
        "sent_at": _iso(message.sent_at),
    }


def personal_data(email: str) -> dict[str, Any]:
    """Everything held about one e-mail address: bookings, door records, mails, audit."""
    address = booking_service.normalise_email(email)
    bookings = db.session.scalars(
        select(Booking).where(func.lower(Booking.email) == address).order_by(Booking.id)
    ).all()
    ids = [b.id for b in bookings]
    answers = questions.answers_export(ids)
    standby = db.session.scalars(
        select(StandbyEntry).where(StandbyEntry.booking_id.in_(ids)).order_by(StandbyEntry.id)
    ).all()
    check_ins = db.session.scalars(
        select(CheckIn).where(CheckIn.booking_id.in_(ids)).order_by(CheckIn.id)
    ).all()
    messages = db.session.scalars(
        select(OutboxMessage)
        .where(
            or_(OutboxMessage.booking_id.in_(ids), func.lower(OutboxMessage.recipient) == address)
        )
        .order_by(OutboxMessage.id)
    ).all()
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.booking_id.in_(ids)).order_by(AuditEntry.id)
    ).all()
    return {
        "email": address,
        "generated_at": _iso(utcnow()),
        "retention_days": retention_days(),
        "bookings": [_booking_json(b, answers.get(b.id, [])) for b in bookings],
        "check_ins": [
            {
                "booking_id": c.booking_id,
                "seats": c.seats,
                "at": _iso(c.at),
                "undone_at": _iso(c.undone_at),
            }
            for c in check_ins
        ],
        "standby_entries": [
            {
                "id": s.id,
                "session_id": s.session_id,
                "booking_id": s.booking_id,
                "name": s.name,
                "seats": s.seats,
                "status": s.status.value,
                "arrived_at": _iso(s.arrived_at),
            }
            for s in standby
        ],
        "outbox_messages": [_message_json(m) for m in messages],
        "audit_entries": [
            {
                "id": e.id,
                "at": _iso(e.at),
                "actor": e.actor,
                "action": e.action,
                "session_id": e.session_id,
                "booking_id": e.booking_id,
                "data": e.data,
            }
            for e in entries
        ],
    }


def export_personal_data(email: str, *, actor: str) -> dict[str, Any]:
    """``personal_data`` for an organiser, recorded in the audit log (without the address)."""
    export = personal_data(email)
    with writing():
        audit(
            "privacy.exported",
            actor,
            subject=address_digest(export["email"]),
            bookings=len(export["bookings"]),
            mails=len(export["outbox_messages"]),
        )
        return export
