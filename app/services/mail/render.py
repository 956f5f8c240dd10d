"""What a message says: its subject, its bodies, its links and its attachments.

Rendered in the booker's language, when the message is sent (not when it is queued).
Links start with the configured public address only (``site_root``), never with the host
a request named.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_babel import force_locale

from ...config import DEVELOPMENT_BASE_URL
from ...extensions import db
from ...i18n import colon, gettext
from ...models import Booking, EventSession
from .. import tickets

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


def subject(kind: str, booking: Booking, custom_subject: str = "") -> str:
    """The subject line of a message kind, in the active language."""
    if kind == "message":
        return f"Minér’Alès{colon()} {custom_subject}"
    title = booking.session.event.title
    subjects = {
        "confirmed": gettext("Réservation confirmée : %(title)s", title=title),
        "waitlist_joined": gettext("Liste d’attente : %(title)s", title=title),
        "waitlist_too_large": gettext(
            "Liste d’attente : votre groupe est trop grand pour %(title)s", title=title
        ),
        "offer": gettext("Des places se libèrent : %(title)s", title=title),
        "offer_expired": gettext("Proposition expirée : %(title)s", title=title),
        "cancelled": gettext("Réservation annulée : %(title)s", title=title),
        "reminder": gettext("C’est demain : %(title)s", title=title),
        "session_cancelled": gettext("Séance annulée : %(title)s", title=title),
    }
    return subjects[kind]


def render_message(
    kind: str, booking: Booking, base_url: str | None = None, **extra: Any
) -> dict[str, Any]:
    """Render subject, text and HTML bodies and attachments in the booking's language.

    ``base_url`` (an outbox row's context may carry one) is ignored: links always start
    with the configured public address, never with one that a request supplied.
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
    with force_locale(booking.locale or "fr"):
        links = {
            "manage": public_url("public.booking_page", token=token),
            "accept": public_url("public.accept_offer", token=token, **pinned),
            "decline": public_url("public.decline_offer", token=token, **pinned),
            "cant_come": public_url("public.cant_come", token=token),
            "calendar": public_url("public.booking_calendar", token=token),
            "programme": public_url("public.programme"),
        }
        context = {
            "booking": booking,
            "session": session or booking.session,
            "links": links,
            "kind": kind,
            "lead": lead,
            **extra,
        }
        message = {
            "subject": subject(kind, booking, extra.get("custom_subject", "")),
            "body_text": render_template(f"emails/{kind}.txt", **context),
            "body_html": render_template(f"emails/{kind}.html", **context),
            "attachments": ticket_attachments(booking, links["manage"])
            if kind in KINDS_WITH_TICKET
            else [],
        }
    return message


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
