"""Editing the mails' words: the week's default and each event's override, audited.

Saving refuses a name between braces that is not a placeholder (``{nom}`` for
``{name}``), next to the field that holds it. The preview renders the very mail a real
booking would get, in both languages, without writing anything.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select

from ..database import writing
from ..extensions import db
from ..models import Booking, BookingStatus, Event, EventSession, MailText
from ..timeutil import utcnow
from . import mail
from .audit import audit
from .errors import N_, DomainError
from .mail import render_message, texts
from .mail.texts import EDITABLE_KINDS, LANGUAGES

FIELDS = ("subject_fr", "body_fr", "subject_en", "body_en")


class UnknownPlaceholder(DomainError):
    """A name between braces that no placeholder has."""

    code, status = "unknown_placeholder", 422
    text = N_("« %(names)s » n’est pas un champ connu. Champs possibles : %(known)s.")

    def text_values(self) -> dict[str, Any]:
        """The unknown names and the known ones, between braces as they are typed."""
        return {
            "names": ", ".join(f"{{{name}}}" for name in self.values["names"]),
            "known": ", ".join(f"{{{name}}}" for name in texts.PLACEHOLDERS),
        }


# One class per field, so that the message stands next to the field that holds the name.
UNKNOWN_IN = {
    name: type(f"UnknownPlaceholderIn_{name}", (UnknownPlaceholder,), {"field": name})
    for name in FIELDS
}


class UnknownKind(DomainError):
    """Only the editable kinds have words to edit."""

    code, status = "unknown_mail_kind", 404
    text = N_("Ce type de message n’existe pas.")


@dataclass(frozen=True)
class MailTextFields:
    """What the editor sends: subject and body in both languages."""

    subject_fr: str = ""
    body_fr: str = ""
    subject_en: str = ""
    body_en: str = ""


def check_kind(kind: str) -> None:
    """Raise ``UnknownKind`` for a kind the editor does not know."""
    if kind not in EDITABLE_KINDS:
        raise UnknownKind()


def check_placeholders(fields: MailTextFields) -> None:
    """Refuse the first field that names an unknown placeholder."""
    for name in FIELDS:
        unknown = texts.unknown_placeholders(getattr(fields, name))
        if unknown:
            raise UNKNOWN_IN[name](names=unknown)


def current_fields(kind: str, event_id: int | None) -> tuple[MailTextFields, str]:
    """The words the editor starts from, and where they come from.

    ``"event"``: this event's override; ``"week"``: the week's default; ``"site"``: the
    words shipped with the site.
    """
    check_kind(kind)
    levels: list[tuple[int | None, str]] = [(None, "week")]
    if event_id is not None:
        levels.insert(0, (event_id, "event"))
    for level, origin in levels:
        row = texts.stored_text(kind, level)
        if row is not None:
            return MailTextFields(**{name: getattr(row, name) for name in FIELDS}), origin
    defaults = {
        f"{part}_{language}": value
        for language in LANGUAGES
        for part, value in zip(("subject", "body"), texts.DEFAULTS[kind][language], strict=True)
    }
    return MailTextFields(**defaults), "site"


def save_text(kind: str, event_id: int | None, fields: MailTextFields, *, actor: str) -> MailText:
    """Store the words of ``kind`` for an event (or the week), after checking them."""
    check_kind(kind)
    check_placeholders(fields)
    cleaned = {name: getattr(fields, name).replace("\r\n", "\n").strip() for name in FIELDS}
    cleaned["subject_fr"] = texts.one_line(cleaned["subject_fr"])
    cleaned["subject_en"] = texts.one_line(cleaned["subject_en"])
    with writing():
        row = texts.stored_text(kind, event_id)
        if row is None:
            row = MailText(kind=kind, event_id=event_id)
            db.session.add(row)
        for name, value in cleaned.items():
            setattr(row, name, value)
        row.updated_at = utcnow()
        row.updated_by = actor
        db.session.flush()
        audit("mail_text.saved", actor, kind=kind, event_id=event_id, mail_text_id=row.id)
        return row


def reset_text(kind: str, event_id: int | None, *, actor: str) -> bool:
    """Go back to the level above (the week's default, or the site's); False: nothing to reset."""
    check_kind(kind)
    with writing():
        row = texts.stored_text(kind, event_id)
        if row is None:
            return False
        db.session.delete(row)
        audit("mail_text.reset", actor, kind=kind, event_id=event_id)
        return True


def overridden_kinds(event_id: int) -> set[str]:
    """The kinds an event has its own words for."""
    return set(db.session.scalars(select(MailText.kind).where(MailText.event_id == event_id)))


def sample_booking(event_id: int | None) -> Booking | None:
    """A real booking to preview with: the event's latest confirmed one, else any."""
    query = select(Booking).join(EventSession, Booking.session_id == EventSession.id)
    if event_id is not None:
        query = query.where(EventSession.event_id == event_id)
    query = query.where(Booking.email != "").order_by(
        (Booking.status == BookingStatus.CONFIRMED).desc(), Booking.id.desc()
    )
    return db.session.scalars(query.limit(1)).first()


def preview(kind: str, booking: Booking, fields: MailTextFields) -> dict[str, dict[str, str]]:
    """The mail ``booking`` would get with ``fields``, in French and in English.

    Nothing is written: the words are passed to the renderer as a message's are.
    """
    check_kind(kind)
    outbox_kind = EDITABLE_KINDS[kind]
    words = {f"custom_{name}": value for name, value in asdict(fields).items()}
    result: dict[str, dict[str, str]] = {}
    for language in LANGUAGES:
        rendered = render_message(
            outbox_kind, booking, locale=language, preview_words=words, **preview_extra(kind)
        )
        result[language] = {
            "subject": rendered["subject"],
            "text": rendered["body_text"],
            "html": rendered["body_html"],
        }
    return result


def preview_extra(kind: str) -> dict[str, Any]:
    """What a kind's rendering needs beyond the booking, with a plausible value."""
    return {"position": 1} if kind == "waiting" else {}


def event_of(event_id: int) -> Event | None:
    """The event whose words are edited."""
    return db.session.get(Event, event_id)


PRACTICAL = (
    "meeting_point",
    "meeting_point_en",
    "what_to_bring",
    "what_to_bring_en",
    "access_info",
    "access_info_en",
)


def save_practical(event_id: int, details: dict[str, str], *, actor: str) -> Event:
    """Store an event's practical details (meeting point, what to bring, access)."""
    with writing():
        event = db.session.get(Event, event_id)
        if event is None:
            raise UnknownKind()
        changed = [name for name in PRACTICAL if getattr(event, name) != details.get(name, "")]
        for name in PRACTICAL:
            setattr(event, name, details.get(name, ""))
        audit("event.practical_saved", actor, event_id=event_id, fields=changed)
        return event


class EmptyMessage(DomainError):
    """A message to attendees needs its French subject and text."""

    code, status, field = "empty_message", 422, "body_fr"
    text = N_("Écrivez l’objet et le texte en français.")


def send_to_attendees(
    session_ids: list[int], audience: str, fields: MailTextFields, *, actor: str
) -> int:
    """Write one message per recipient, in each one's language; return how many.

    The placeholders are replaced per recipient when the mail is rendered; an English
    booker gets the French words when no English ones were written.
    """
    from .attendees import recipients

    check_placeholders(fields)
    if not (fields.subject_fr.strip() and fields.body_fr.strip()):
        raise EmptyMessage()
    words = {f"custom_{name}": getattr(fields, name).strip() for name in FIELDS}
    with writing():
        bookings = recipients(session_ids, audience)
        for booking in bookings:
            mail.enqueue("message", booking, **words)
        audit(
            "message.sent",
            actor,
            session_id=session_ids[0] if len(session_ids) == 1 else None,
            sessions=session_ids,
            audience=audience,
            recipients=len(bookings),
        )
        return len(bookings)
