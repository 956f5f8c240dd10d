"""What a message says: its subject, its bodies, its links and its attachments.

Rendered in the booker's language, when the message is sent (not when it is queued).
Links start with the configured public address only (``site_root``), never with the host
a request named.
"""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_babel import force_locale

from ...config import DEVELOPMENT_BASE_URL
from ...extensions import db
from ...i18n import colon, current_language, full_date, gettext, ngettext
from ...models import Booking, EventSession
from ...timeutil import utcnow
from .. import tickets
from . import texts

# The kinds that carry the ticket: its QR code and the calendar file.
KINDS_WITH_TICKET = {"confirmed", "reminder"}


def site_root() -> str:
    """The public address of the site, from ``BASE_URL`` only, with a trailing slash.

    Never the request's host: the visitor sets the Host header, and a request by one
    person sends mail to others (the next party on a waiting list gets an offer with its
    secret link when someone cancels).
    """
    base = current_app.config.get("BASE_URL") or DEVELOPMENT_BASE_URL
    return base.rstrip("/") + "/"


def public_url(endpoint: str, **values: Any) -> str:
    """An absolute URL for links in e-mails (sent later, from a place with no request)."""
    parts = urlsplit(site_root())
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme or "http"
    )
    return adapter.build(endpoint, values, force_external=True)


def subject(kind: str, booking: Booking) -> str:
    """The subject line of a kind nobody can edit, in the active language."""
    title = booking.session.event.title
    subjects = {
        "waitlist_too_large": gettext(
            "Liste d’attente : votre groupe est trop grand pour %(title)s", title=title
        ),
        "session_cancelled": gettext("Séance annulée : %(title)s", title=title),
    }
    return subjects[kind]


def words(kind: str, booking: Booking, extra: dict[str, Any]) -> dict[str, Any]:
    """The subject and the organisers' words (greeting, paragraphs) of an editable kind.

    A message to attendees carries its words in the outbox row (both languages, written
    once for every recipient); the other kinds take the event's, the week's or the site's.
    """
    language = current_language()
    given = texts.values(booking, language, extra.get("position", ""))
    editable = texts.KIND_OF_OUTBOX[kind]
    # The editor's preview passes the words being typed, as a message carries its own.
    custom = extra.get("preview_words") or (extra if kind == "message" else None)
    wording = None
    if custom is not None:
        wording = texts.Wording(
            custom.get(f"custom_subject_{language}") or "",
            custom.get(f"custom_body_{language}") or "",
        )
        if not (wording.subject.strip() or wording.body.strip()):
            # Left empty: what the level above says (a message: its French words).
            wording = (
                texts.Wording(
                    custom.get("custom_subject_fr") or custom.get("custom_subject", ""),
                    custom.get("custom_body_fr") or custom.get("custom_body", ""),
                )
                if kind == "message"
                else None
            )
    if wording is None:
        event_id = None if extra.get("preview_words") else booking.session.event_id
        wording = texts.wording(editable, event_id, language, booking)
    if extra.get("preview_words") and not given["deadline"]:
        given["deadline"] = full_date(utcnow() + timedelta(hours=24))  # a plausible one
    subject_line = texts.one_line(texts.fill(wording.subject, given))
    body = texts.fill(wording.body, given)
    return {
        "subject": f"Minér’Alès{colon()} {subject_line}" if kind == "message" else subject_line,
        "title": subject_line,
        "hello": texts.hello(language, given),
        "body": body,
        "paragraphs": texts.paragraphs(body),
        "deadline": given["deadline"],
        "practical": [
            (label, given[key]) for key, label in practical_labels() if given[key].strip()
        ],
    }


def practical_labels() -> list[tuple[str, str]]:
    """The practical details' placeholders and labels, in the active language."""
    return [
        ("meeting_point", gettext("Point de rendez-vous")),
        ("what_to_bring", gettext("À apporter")),
        ("access", gettext("Accès")),
    ]


def render_message(
    kind: str,
    booking: Booking,
    base_url: str | None = None,
    *,
    locale: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Render subject, text and HTML bodies and attachments in the booking's language.

    ``base_url`` (an outbox row's context may carry one) is ignored: links always start
    with the configured public address, never with one that a request supplied.
    ``locale`` renders in another language than the booker's (the editor's preview).
    """
    # A change row stands for its lead: the visitor only knows the lead's link. An offer
    # made to it is pinned, so the link accepts that offer and no later one.
    lead, pinned = booking, {}
    if booking.changes_booking_id is not None:
        lead = db.session.get(Booking, booking.changes_booking_id) or booking
        pinned = {"offer": booking.id}
    token = lead.token
    # What the message is about may be a session the booking has left since (an offer
    # that lapsed there while the party goes on waiting elsewhere).
    about = extra.get("session_id")
    session = db.session.get(EventSession, about) if about else None
    with force_locale(locale or booking.locale or "fr"):
        links = {
            "manage": public_url("public.booking_page", token=token),
            "accept": public_url("public.accept_offer", token=token, **pinned),
            "decline": public_url("public.decline_offer", token=token, **pinned),
            "cant_come": public_url("public.cant_come", token=token),
            "calendar": public_url("public.booking_calendar", token=token),
            "programme": public_url("public.programme"),
        }
        mail_words = words(kind, booking, extra) if kind in texts.KIND_OF_OUTBOX else None
        if kind == "day_cancelled":
            extra = {**extra, **_bad_day_context(extra)}
        context = {
            "booking": booking,
            "session": session or booking.session,
            "links": links,
            "kind": kind,
            "lead": lead,
            "words": mail_words,
            **extra,
        }
        message = {
            "subject": mail_words["subject"]
            if mail_words
            else extra.get("subject_line") or subject(kind, booking),
            "body_text": render_template(f"emails/{kind}.txt", **context),
            "body_html": render_template(f"emails/{kind}.html", **context),
            "attachments": ticket_attachments(booking, links["manage"])
            if kind in KINDS_WITH_TICKET
            else [],
        }
    return message


def _bad_day_context(extra: dict[str, Any]) -> dict[str, Any]:
    """A bad day's mail: every booking the address lost, and where each may go instead."""
    from .. import bad_day  # the bad day's rules need the outbox: imported when rendering

    def link(booking: Booking, session: EventSession) -> str:
        return public_url("public.rebook", token=booking.token, session_id=session.id)

    values = bad_day.context_for_mail(extra, link)
    entries = values["entries"]
    titles = {entry.booking.session.event.title for entry in entries}
    count = sum(len(entry.sessions) for entry in entries)
    if len(titles) == 1:
        values["subject_line"] = ngettext(
            "Votre séance est annulée : %(title)s",
            "Vos séances sont annulées : %(title)s",
            count,
            title=titles.pop(),
        )
    else:
        values["subject_line"] = gettext("Minér’Alès : vos séances sont annulées")
    return values


def ticket_attachments(booking: Booking, manage_url: str) -> list[dict[str, str]]:
    """The QR code (shown inline) and the calendar file, base64-encoded for the outbox."""
    return [
        {
            "filename": "billet-qr.png",
            "content_type": "image/png",
            "data": base64.b64encode(tickets.qr_png(booking.ticket_code)).decode(),
            "inline_id": "ticket-qr",
        },
        {
            "filename": "minerales.ics",
            "content_type": "text/calendar; charset=utf-8; method=PUBLISH",
            "data": base64.b64encode(tickets.booking_ics(booking, manage_url)).decode(),
        },
    ]
