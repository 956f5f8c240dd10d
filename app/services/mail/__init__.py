"""The mail outbox: e-mails are rows written in the transaction that causes them.

Nothing here talks to SMTP inside a booking's transaction. ``enqueue`` adds a small row to
the outbox (``queue``); after the commit, ``send_due`` claims due messages one by one (the
claim is its own transaction, so two senders never send the same row: ``claims``),
renders them in the booker's language (``render``), sends them and records the outcome
(``sender``). A failure is retried with backoff; ``flask send-mail`` drains whatever is
due, for cron.
"""

from .claims import RETRY_MINUTES, stale_claim_delay
from .queue import enqueue, send_soon
from .render import public_url, render_message, site_root, ticket_attachments
from .sender import SendReport, reset_circuit, send_due

__all__ = [
    "RETRY_MINUTES",
    "SendReport",
    "enqueue",
    "public_url",
    "render_message",
    "reset_circuit",
    "send_due",
    "send_soon",
    "site_root",
    "stale_claim_delay",
    "ticket_attachments",
]
