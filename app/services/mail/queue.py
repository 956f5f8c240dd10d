"""Putting a message in the outbox, in the transaction that causes it.

Only one small row is written while the caller's locks are held; the message is rendered
and sent after the commit (``send_soon``), or by ``flask send-mail`` for cron.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import insert
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ...database import after_commit
from ...extensions import db
from ...models import Booking, OutboxMessage
from . import sender

log = logging.getLogger(__name__)

# Like the audit trail's: one plain INSERT in the caller's transaction, no unit of work.
_INSERT_MESSAGE = insert(OutboxMessage.__table__)
# With a dedupe key, a key already taken inserts nothing and raises nothing, on either
# database: the caller's transaction (a whole batch of reminders) goes on.
_INSERT_ONCE = {
    "postgresql": postgresql_insert(OutboxMessage.__table__)
    .on_conflict_do_nothing(index_elements=["dedupe_key"])
    .returning(OutboxMessage.__table__.c.id),
    "sqlite": sqlite_insert(OutboxMessage.__table__)
    .on_conflict_do_nothing(index_elements=["dedupe_key"])
    .returning(OutboxMessage.__table__.c.id),
}


def enqueue(kind: str, booking: Booking, *, dedupe_key: str | None = None, **extra: Any) -> bool:
    """Add a message for ``booking`` to the outbox, in the caller's transaction.

    Only one small row is written here, while the booking's lock is held; rendering (the
    templates, the QR code, the calendar file) happens when the message is sent, after the
    commit. If the transaction rolls back, the message never existed. The booking must
    have its id already (flushed). With a ``dedupe_key`` already used, nothing is added
    and False is returned.
    """
    statement = _INSERT_MESSAGE
    if dedupe_key is not None:
        statement = _INSERT_ONCE[db.session.get_bind().dialect.name]
    result = db.session.execute(
        statement,
        {
            "kind": kind,
            "dedupe_key": dedupe_key,
            "booking_id": booking.id,
            "recipient": booking.email,
            "locale": booking.locale or "fr",
            "context": extra,
        },
    )
    # The returned id tells whether a row was added (rowcount is not reliable here).
    if dedupe_key is not None and result.first() is None:
        log.info("outbox: %s already queued, not added again", dedupe_key)
        return False
    if current_app.config.get("MAIL_SEND_AFTER_COMMIT", True) and not g.get("mail_send_scheduled"):
        g.mail_send_scheduled = True
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        after_commit(lambda: send_soon(app))
    return True


def send_soon(app: Flask) -> None:
    """After a commit: deliver what is due, unless the SMTP server was just found down."""
    if sender.smtp_paused():
        return
    with app.app_context():
        try:
            sender.send_due(limit=20)
        except Exception:  # a sender must never break the request that triggered it
            log.exception("sending the outbox after commit failed")
            db.session.rollback()
