"""Sending the outbox: one SMTP connection per pass, each message claimed before it goes.

``send_due`` runs its own short transactions (see ``claims``), after the caller's work is
committed. A refusal is retried with backoff or given up; an SMTP server that cannot be
reached pauses the senders after commit for a while (``smtp_paused``), so a dead server
never slows bookings down.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import logging
import smtplib
import time
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app, g
from flask_mail import Message
from sqlalchemy.exc import OperationalError

from ...extensions import db
from ...models import Booking, OutboxMessage, OutboxStatus
from ...timeutil import utcnow
from . import claims
from .render import render_message

log = logging.getLogger(__name__)

# Per process: after a failure to reach the SMTP server, requests stop trying to send
# for a while (cron and later requests pick the messages up).
_smtp_unreachable_until = 0.0


@dataclass
class SendReport:
    """What one pass over the outbox did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def _addressee(message: OutboxMessage) -> str | tuple[str, str]:
    """The recipient with the booker's name: a bare address is one more sign of spam."""
    booking = db.session.get(Booking, message.booking_id) if message.booking_id else None
    name = " ".join((booking.name if booking else "").split())
    return (name, message.recipient) if name else message.recipient


def build_email(message: OutboxMessage) -> Message:
    """The Flask-Mail message for an outbox row, with a stable Message-ID."""
    mail = Message(
        subject=message.subject,
        recipients=[_addressee(message)],
        body=message.body_text,
        html=message.body_html,
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
    )
    digest = hashlib.sha256(f"{message.id}:{message.created_at.isoformat()}".encode()).hexdigest()[
        :16
    ]
    # Same row, same Message-ID: if a crash makes us send twice, mail clients merge them.
    mail.msgId = f"<outbox-{message.id}.{digest}@minerales.mines-ales.fr>"
    mail.extra_headers = {"Auto-Submitted": "auto-generated", "Content-Language": message.locale}
    for attachment in message.attachments or []:
        inline_id = attachment.get("inline_id")
        mail.attach(
            filename=attachment["filename"],
            content_type=attachment["content_type"],
            data=base64.b64decode(attachment["data"]),
            disposition="inline" if inline_id else "attachment",
            headers={"Content-ID": f"<{inline_id}>"} if inline_id else None,
        )
    return mail


def _connect() -> smtplib.SMTP:
    """Open an SMTP connection with a timeout (a dead server must not hang a worker)."""
    config = current_app.config
    timeout = float(config.get("MAIL_TIMEOUT", 10))
    if config.get("MAIL_USE_SSL"):
        connection: smtplib.SMTP = smtplib.SMTP_SSL(
            config["MAIL_SERVER"], config["MAIL_PORT"], timeout=timeout
        )
    else:
        connection = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=timeout)
        if config.get("MAIL_USE_TLS"):
            connection.starttls()
    if config.get("MAIL_USERNAME"):
        connection.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
    return connection


def _render(message: OutboxMessage, token: str) -> str:
    """Render a claimed message once and keep the result.

    Returns "ok", "gone" (its booking no longer exists: marked failed) or "lost" (the
    claim was given back meanwhile: the new owner sends it).
    """
    booking = db.session.get(Booking, message.booking_id) if message.booking_id else None
    if booking is None:
        claims.record(
            message.id, sent=False, error="booking no longer exists", permanent=True, token=token
        )
        return "gone"
    context = dict(message.context or {})
    base_url = context.pop("base_url", None)
    rendered = render_message(message.kind, booking, base_url, **context)
    return "ok" if claims.store_rendered(message.id, token, rendered) else "lost"


def send_due(limit: int = 200, now: datetime | None = None) -> SendReport:
    """Send every due message (at most ``limit``), each claimed before it is sent.

    ``now`` decides which messages are due (retries scheduled before it); claims are
    always stamped with the real time. Runs its own short transactions: call it after the
    caller's work is committed. Each write ends its own transaction, so that on SQLite
    the database's write lock is never held while a message renders or while the SMTP
    server answers: bookings would wait behind the mail otherwise. A database that does
    not answer in time (a lock held elsewhere) stops the pass: what was not recorded is
    sent by a later one.
    """
    due_at = now or utcnow()
    report = SendReport()
    try:
        claims.release_stale_claims()
        due = claims.due_ids(due_at, limit)
        db.session.commit()
    except OperationalError as error:
        _database_busy(error, report)
        return report
    if not due:
        return report
    # Connect before claiming anything: with the server down, nothing is claimed, rendered
    # or counted as an attempt (an outage is not the message's fault), and a booking's
    # worker goes back to its visitors at once instead of rendering mail nobody can send.
    try:
        connection = _connect()
    except (OSError, smtplib.SMTPException) as error:
        _smtp_down(error, report, waiting=len(due))
        return report
    try:
        for message_id in due:
            try:
                if not _send_one(connection, message_id, due_at, report):
                    break
            except OperationalError as error:
                _database_busy(error, report)
                break
    finally:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            connection.quit()
    return report


def _send_one(
    connection: smtplib.SMTP, message_id: int, due_at: datetime, report: SendReport
) -> bool:
    """Claim, render, send and record one message; False when the pass must stop."""
    token = claims.claim(message_id, due_at)
    if token is None:
        return True
    message = db.session.get(OutboxMessage, message_id)
    if message is None:  # erased right after the claim
        return True
    if message.rendered_at is None:
        rendered = _render(message, token)
        if rendered != "ok":
            report.failed += rendered == "gone"
            return True
    built = build_email(message)
    recipient = message.recipient  # the envelope's bare address (To also has the name)
    # Nothing stays open in the database while the SMTP server takes its time.
    db.session.rollback()
    try:
        # The envelope carries bare addresses; a (name, address) sender gives its address.
        sender = built.sender[1] if isinstance(built.sender, tuple) else built.sender
        connection.sendmail(sender, [recipient], built.as_bytes())
    except (
        smtplib.SMTPRecipientsRefused,
        smtplib.SMTPSenderRefused,
        smtplib.SMTPDataError,
    ) as error:
        code = getattr(error, "smtp_code", None) or _first_code(error)
        permanent = code is not None and 500 <= code < 600
        outcome = claims.record(
            message_id, sent=False, error=repr(error), permanent=permanent, token=token
        )
        report.failed += outcome is OutboxStatus.FAILED
        report.retried += outcome is OutboxStatus.PENDING
        report.errors.append(repr(error))
        return True
    except (OSError, smtplib.SMTPException) as error:
        # The server dropped us or stopped answering: retry this one later, stop the pass.
        claims.record(message_id, sent=False, error=repr(error), token=token)
        _smtp_down(error, report, waiting=1)
        connection.close()  # no polite QUIT to a server that just dropped us
        return False
    try:
        outcome = claims.record_sent(message_id, token)
    except OperationalError:
        report.errors.append(f"outbox {message_id}: sent, but not recorded")
        raise
    report.sent += outcome is OutboxStatus.SENT
    return True


def _database_busy(error: Exception, report: SendReport) -> None:
    """A write timed out on a lock: end the pass cleanly, a later one goes on."""
    db.session.rollback()
    g.db_write_intent = False
    log.warning("outbox pass stopped, the database is busy: %s", error)
    report.errors.append(repr(error))


def _first_code(error: Exception) -> int | None:
    """The SMTP status code inside a refusal (recipients refused carry one per address)."""
    recipients = getattr(error, "recipients", None)
    if recipients:
        code = next(iter(recipients.values()))[0]
        return int(code)
    return None


# The circuit breaker


def _smtp_down(error: Exception, report: SendReport, waiting: int) -> None:
    """Note that the SMTP server cannot be reached: senders after commit pause a while."""
    global _smtp_unreachable_until
    report.retried += waiting
    report.errors.append(repr(error))
    _smtp_unreachable_until = time.monotonic() + float(
        current_app.config.get("MAIL_BACKOFF_SECONDS", 30)
    )


def smtp_paused() -> bool:
    """True while the SMTP server was just found down (``MAIL_BACKOFF_SECONDS``)."""
    return time.monotonic() < _smtp_unreachable_until


def reset_circuit() -> None:
    """Forget that the SMTP server was down (``flask send-mail`` always tries)."""
    global _smtp_unreachable_until
    _smtp_unreachable_until = 0.0
