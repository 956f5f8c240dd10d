"""The words of a mail: the organisers' text with named placeholders, or the default.

An organiser's text is never a template: ``{name}`` and its siblings are replaced by
plain values and anything else is left as typed, so no code in the text can run. The
HTML part escapes the result like any other text (``paragraphs``). The parts that make a
mail work (details, ticket, links, deadline, privacy line) are not in this text: the
mail's template adds them around it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from ...extensions import db
from ...i18n import clock, day_heading, full_date, seats_phrase
from ...models import Booking, Event, MailText
from ...timeutil import paris, utcnow
from ..errors import N_

# The editor's kinds and the outbox kind each one words.
EDITABLE_KINDS = {
    "confirmed": "confirmed",
    "waiting": "waitlist_joined",
    "offer": "offer",
    "expired": "offer_expired",
    "cancelled": "cancelled",
    "reminder": "reminder",
    "message": "message",
}
KIND_OF_OUTBOX = {outbox: kind for kind, outbox in EDITABLE_KINDS.items()}
LANGUAGES = ("fr", "en")

# The kinds' names and the placeholders' meanings, in the editor's language.
KIND_LABELS = {
    "confirmed": N_("Réservation confirmée"),
    "waiting": N_("Liste d’attente rejointe"),
    "offer": N_("Places proposées"),
    "expired": N_("Proposition expirée"),
    "cancelled": N_("Réservation annulée"),
    "reminder": N_("Rappel"),
    "message": N_("Message aux participants"),
}
PLACEHOLDERS = {
    "name": N_("le nom de la personne"),
    "event": N_("le titre de l’activité"),
    "date": N_("le jour de la séance"),
    "time": N_("l’heure de début"),
    "day": N_("« demain », « aujourd’hui » ou le jour"),
    "venue": N_("le lieu"),
    "seats": N_("le nombre de places"),
    "position": N_("le rang sur la liste d’attente"),
    "deadline": N_("la date limite pour accepter des places"),
    "meeting_point": N_("le point de rendez-vous"),
    "what_to_bring": N_("ce qu’il faut apporter"),
    "access": N_("l’accès"),
}
# A placeholder is a name between braces; other braces are text like any other.
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")

_HELLO = {"fr": "Bonjour {name},", "en": "Hello {name},"}
# The words sent when nobody wrote others: French and English, as the organisers see them.
DEFAULTS: dict[str, dict[str, tuple[str, str]]] = {
    "confirmed": {
        "fr": (
            "Réservation confirmée\u202f: {event}",
            "Nous avons le plaisir de vous confirmer votre réservation.\n\n"
            "Un empêchement\u202f? Annulez en un clic depuis votre réservation\u202f: "
            "vos places iront à une personne en liste d’attente.",
        ),
        "en": (
            "Booking confirmed: {event}",
            "We are pleased to confirm your booking.\n\n"
            "Can’t make it? Cancel in one click from your booking: your seats will go "
            "to someone on the waiting list.",
        ),
    },
    "waiting": {
        "fr": (
            "Liste d’attente\u202f: {event}",
            "La séance est complète pour le moment\u202f: vous êtes inscrit·e sur la liste "
            "d’attente, en position {position}.\n\nDès que des places se libèrent pour tout "
            "votre groupe, nous vous écrivons\u202f: vous aurez alors un délai pour les "
            "accepter.",
        ),
        "en": (
            "Waiting list: {event}",
            "The session is full for now: you are on the waiting list, in position "
            "{position}.\n\nAs soon as there are seats for your whole group, we will write "
            "to you: you will then have a little time to accept them.",
        ),
    },
    "offer": {
        "fr": (
            "Des places se libèrent\u202f: {event}",
            "Bonne nouvelle\u202f: des places se sont libérées. Nous les gardons pour vous "
            "jusqu’au {deadline}.",
        ),
        "en": (
            "Seats available: {event}",
            "Good news: seats have become available. We are holding them for you until {deadline}.",
        ),
    },
    "expired": {
        "fr": (
            "Proposition expirée\u202f: {event}",
            "Les places qui vous étaient proposées n’ont pas été acceptées à temps\u202f: "
            "elles ont été proposées à la personne suivante.",
        ),
        "en": (
            "Offer expired: {event}",
            "The seats offered to you were not accepted in time: they have been offered "
            "to the next person.",
        ),
    },
    "cancelled": {
        "fr": (
            "Réservation annulée\u202f: {event}",
            "C’est noté\u202f: vos places sont libérées et vont à d’autres visiteurs. Merci "
            "de nous avoir prévenus.",
        ),
        "en": (
            "Booking cancelled: {event}",
            "Noted: your seats have been released and will go to other visitors. Thank "
            "you for letting us know.",
        ),
    },
    "reminder": {
        "fr": (
            "C’est {day}\u202f: {event}",
            "Petit rappel\u202f: nous vous attendons {day}, à {time}.\n\n"
            "Vous ne pourrez pas venir\u202f? Prévenez-nous d’un clic\u202f: vos places iront "
            "à une personne en liste d’attente.",
        ),
        "en": (
            "Reminder: {event}, {day}",
            "A quick reminder: we look forward to seeing you {day}, at {time}.\n\n"
            "Can’t make it? Tell us in one click: your seats will go to someone on the "
            "waiting list.",
        ),
    },
    "message": {"fr": ("", ""), "en": ("", "")},
}
# Leaving a waiting list is a cancellation with other words, when nobody wrote any.
LEFT_DEFAULT = {
    "fr": (
        "Liste d’attente quittée\u202f: {event}",
        "C’est noté\u202f: vous ne figurez plus sur la liste d’attente.",
    ),
    "en": ("Waiting list left: {event}", "Noted: you are no longer on the waiting list."),
}


@dataclass(frozen=True)
class Wording:
    """The subject and body of one mail in one language, placeholders not yet replaced."""

    subject: str
    body: str


def unknown_placeholders(text: str) -> list[str]:
    """The names between braces in ``text`` that are not placeholders, in order, once."""
    seen: list[str] = []
    for name in PLACEHOLDER.findall(text):
        if name not in PLACEHOLDERS and name not in seen:
            seen.append(name)
    return seen


def stored_text(kind: str, event_id: int | None) -> MailText | None:
    """The row for ``kind`` at one level: an event's override, or the week's default."""
    query = select(MailText).where(MailText.kind == kind)
    query = query.where(
        MailText.event_id.is_(None) if event_id is None else MailText.event_id == event_id
    )
    return db.session.scalars(query.order_by(MailText.id).limit(1)).first()


def built_in(kind: str, language: str, booking: Booking | None = None) -> Wording:
    """The words shipped with the site."""
    if kind == "cancelled" and booking is not None and booking.ended_reason == "left":
        return Wording(*LEFT_DEFAULT[language])
    return Wording(*DEFAULTS[kind][language])


def from_row(row: MailText, language: str) -> Wording | None:
    """A row's words in ``language``; None when that language was left empty."""
    subject = getattr(row, f"subject_{language}")
    body = getattr(row, f"body_{language}")
    return Wording(subject, body) if (subject.strip() or body.strip()) else None


def wording(
    kind: str, event_id: int | None, language: str, booking: Booking | None = None
) -> Wording:
    """The words of ``kind``: the event's override, else the week's default, else the site's.

    A level with nothing written in ``language`` is skipped, so an English text nobody
    wrote never sends an English booker an empty mail.
    """
    for level in ([event_id] if event_id is not None else []) + [None]:
        row = stored_text(kind, level)
        found = from_row(row, language) if row else None
        if found:
            return found
    return built_in(kind, language, booking)


def _day(moment: datetime, now: datetime, language: str) -> str:
    """« demain », « aujourd’hui » or « le mardi 3 juin », in the active language."""
    days = (paris(moment).date() - paris(now).date()).days
    if days == 0:
        return "aujourd’hui" if language == "fr" else "today"
    if days == 1:
        return "demain" if language == "fr" else "tomorrow"
    heading = day_heading(paris(moment).date())
    return f"le {heading}" if language == "fr" else f"on {heading}"


def practical(event: Event, field: str, language: str) -> str:
    """One practical detail in ``language``, the French one when no English was written."""
    french = str(getattr(event, field) or "")
    english = str(getattr(event, f"{field}_en") or "")
    return english if language == "en" and english.strip() else french


def values(
    booking: Booking, language: str, position: object = "", now: datetime | None = None
) -> dict[str, str]:
    """Every placeholder's value for ``booking``, in the active language (plain text)."""
    session = booking.session
    event = session.event
    venue = ", ".join(p for p in (event.venue.name, event.venue.address, event.venue.city) if p)
    offer_until = booking.offer_expires_at
    return {
        "name": booking.name,
        "event": event.title,
        "date": day_heading(paris(session.starts_at).date()),
        "time": clock(session.starts_at),
        "day": _day(session.starts_at, now or utcnow(), language),
        "venue": venue,
        "seats": seats_phrase(booking.seats),
        "position": str(position or ""),
        "deadline": full_date(offer_until) if offer_until else "",
        "meeting_point": practical(event, "meeting_point", language),
        "what_to_bring": practical(event, "what_to_bring", language),
        "access": practical(event, "access_info", language),
    }


def fill(text: str, given: dict[str, str]) -> str:
    """Replace each known ``{placeholder}`` by its value; leave everything else as typed."""
    return PLACEHOLDER.sub(lambda m: given.get(m.group(1), m.group(0)), text)


def hello(language: str, given: dict[str, str]) -> str:
    """The greeting every mail starts with."""
    return fill(_HELLO[language], given) if given.get("name") else ""


def paragraphs(text: str) -> list[list[str]]:
    """A body split into paragraphs (blank lines) of lines, for the HTML part to escape."""
    blocks = re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip())
    return [block.split("\n") for block in blocks if block.strip()]


def one_line(text: str) -> str:
    """A subject on one line (a header cannot hold a line break)."""
    return " ".join(text.split())
