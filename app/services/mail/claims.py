"""An outbox row's life: claimed by one sender, its outcome recorded, retried or given up.

Each step is one short transaction of its own (``write``). A claim carries a random token:
only its holder records the outcome, so a sender whose claim went stale and was taken by
another never writes over the new owner's outcome.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import CursorResult, Update, select, update
from sqlalchemy.exc import OperationalError

from ...database import commit_now, writing
from ...extensions import db
from ...models import OutboxMessage, OutboxStatus
from ...timeutil import utcnow

log = logging.getLogger(__name__)

# Minutes to wait before each retry; after the last one the message is marked FAILED.
RETRY_MINUTES = (1, 5, 15, 60, 180, 360, 720)
# How many times the outcome of a message the server accepted is written before the pass
# gives up (a lock held a little too long must not turn into a resend).
RECORD_TRIES = 3


def stale_claim_delay() -> timedelta:
    """How old a claim must be to count as a dead sender's (``MAIL_STALE_CLAIM_SECONDS``)."""
    return timedelta(seconds=float(current_app.config.get("MAIL_STALE_CLAIM_SECONDS", 600)))


def write(work: Any) -> Any:
    """Run ``work()`` as one short writer's transaction of its own; roll back if it fails."""
    with writing():
        result = work()
    commit_now()
    return result


def rows_changed(statement: Update) -> int:
    """Run an UPDATE; how many rows it changed."""
    result = db.session.execute(statement)
    assert isinstance(result, CursorResult)  # what an UPDATE returns; typed as any Result
    return result.rowcount


def owned(message_id: int, token: str | None) -> tuple[Any, ...]:
    """The conditions under which a sender still owns its claim on a message."""
    owner = OutboxMessage.claim_token == token if token else OutboxMessage.claim_token.is_(None)
    return (OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.SENDING, owner)


def due_ids(due_at: datetime, limit: int) -> list[int]:
    """The ids of the messages waiting to be sent at ``due_at``, oldest first."""
    return list(
        db.session.scalars(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.next_attempt_at <= due_at,
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
        ).all()
    )


def claim(message_id: int, due_at: datetime) -> str | None:
    """Move one due message to SENDING in its own transaction; None if someone else did.

    The claim gets its own random token and its own time (now, not the start of the pass):
    in a long pass the last claims are as fresh as the first, and only the token's holder
    can record the outcome.
    """
    token = secrets.token_hex(16)
    claimed = write(
        lambda: rows_changed(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.next_attempt_at <= due_at,
            )
            .values(
                status=OutboxStatus.SENDING,
                claimed_at=utcnow(),
                claim_token=token,
                attempts=OutboxMessage.attempts + 1,
            )
        )
    )
    return token if claimed == 1 else None


def store_rendered(message_id: int, token: str, rendered: dict[str, Any]) -> bool:
    """Keep a claimed message's rendering; False if the claim was given back meanwhile.

    Rendering takes a while: the write lock is taken only to store the result.
    """
    stored = write(
        lambda: rows_changed(
            update(OutboxMessage)
            .where(*owned(message_id, token))
            .values(**rendered, rendered_at=utcnow())
        )
    )
    return bool(stored)


def record(
    message_id: int,
    *,
    sent: bool,
    error: str = "",
    permanent: bool = False,
    token: str | None = None,
) -> OutboxStatus | None:
    """Record the outcome of one attempt; schedule the retry or give up.

    A conditional UPDATE on the claim's token: a sender whose claim was given back (it
    took longer than the stale delay) and taken by another records nothing and gets
    None, so it never writes over the new owner's outcome.
    """

    def outcome() -> OutboxStatus | None:
        attempts = db.session.scalar(
            select(OutboxMessage.attempts).where(*owned(message_id, token))
        )
        now = utcnow()
        if attempts is None:
            values: dict[str, Any] = {}
        elif sent:
            values = {"status": OutboxStatus.SENT, "sent_at": now, "last_error": ""}
        elif permanent or attempts > len(RETRY_MINUTES):
            values = {"status": OutboxStatus.FAILED, "last_error": error[:2000]}
        else:
            values = {
                "status": OutboxStatus.PENDING,
                "last_error": error[:2000],
                "next_attempt_at": now + timedelta(minutes=RETRY_MINUTES[attempts - 1]),
            }
        if values and rows_changed(
            update(OutboxMessage).where(*owned(message_id, token)).values(**values)
        ):
            return values["status"]
        if (
            db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.id == message_id))
            is None
        ):
            # Erased (GDPR) while it was being sent: nothing left to record.
            return OutboxStatus.FAILED
        log.warning("outbox %s: claim lost to another sender, outcome not recorded", message_id)
        return None

    return write(outcome)


def record_sent(message_id: int, token: str) -> OutboxStatus | None:
    """Record a message the server accepted, trying again if the database is busy.

    Not recording it means the claim goes stale and the message is sent again (with the
    same Message-ID): worth a few more tries than any other write.
    """
    for attempt in range(1, RECORD_TRIES + 1):
        try:
            return record(message_id, sent=True, token=token)
        except OperationalError:
            if attempt == RECORD_TRIES:
                raise
            log.warning("outbox %s: sent, but recording it failed; trying again", message_id)
    return None  # not reached


def release_stale_claims() -> None:
    """A sender that died mid-send leaves SENDING rows: give them back after a while.

    Each claim is judged by its own time. The token is cleared, so the sender that held
    it, should it be alive after all, can no longer record anything.
    """
    cutoff = utcnow() - stale_claim_delay()
    write(
        lambda: db.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.status == OutboxStatus.SENDING,
                OutboxMessage.claimed_at < cutoff,
            )
            .values(status=OutboxStatus.PENDING, claim_token=None)
        )
    )
