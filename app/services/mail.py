"""The mail outbox: e-mails are rows written in the transaction that causes them.

Nothing here talks to SMTP inside a booking's transaction. ``enqueue`` renders the
message (in the booker's language) and adds it to the outbox; after the commit,
``send_due`` claims due messages one by one (the claim is its own transaction, so two
senders never send the same row), sends them, and records the outcome. A failure is
retried with backoff; ``flask send-mail`` drains whatever is due, for cron.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import logging
import secrets
import smtplib
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, g, render_template
from flask_babel import force_locale, gettext
from flask_mail import Message
from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError

from ..config import DEVELOPMENT_BASE_URL
from ..database import after_commit, begin_write, end_write
from ..extensions import db
from ..i18n import colon
from ..models import Booking, OutboxMessage, OutboxStatus
from ..timeutil import utcnow
from . import tickets

log = logging.getLogger(__name__)

# Minutes to wait before each retry; after the last one the message is marked FAILED.
RETRY_MINUTES = (1, 5, 15, 60, 180, 360, 720)
# How many times the outcome of a message the server accepted is written before the pass
# gives up (a lock held a little too long must not turn into a resend).
RECORD_TRIES = 3
KINDS_WITH_TICKET = {"confirmed", "reminder"}

# Per process: after a failure to reach the SMTP server, requests stop trying to send
# for a while (cron and later requests pick the messages up), so a dead server never
# slows bookings down.
_smtp_unreachable_until = 0.0


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


def _subject(kind: str, booking: Booking, custom_subject: str = "") -> str:
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
    with force_locale(booking.locale or "fr"):
        links = {
            "manage": public_url("public.booking_page", token=booking.token),
            "accept": public_url("public.accept_offer", token=booking.token),
            "decline": public_url("public.decline_offer", token=booking.token),
            "calendar": public_url("public.booking_calendar", token=booking.token),
            "programme": public_url("public.programme"),
        }
        context = {
            "booking": booking,
            "session": booking.session,
            "links": links,
            "kind": kind,
            **extra,
        }
        message = {
            "subject": _subject(kind, booking, extra.get("custom_subject", "")),
            "body_text": render_template(f"emails/{kind}.txt", **context),
            "body_html": render_template(f"emails/{kind}.html", **context),
            "attachments": [],
        }
        if kind in KINDS_WITH_TICKET:
            message["attachments"] = ticket_attachments(booking, links["manage"])
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
    if time.monotonic() < _smtp_unreachable_until:
        return
    with app.app_context():
        try:
            send_due(limit=20)
        except Exception:  # a sender must never break the request that triggered it
            log.exception("sending the outbox after commit failed")
            db.session.rollback()


@dataclass
class SendReport:
    """What one pass over the outbox did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def _build(message: OutboxMessage) -> Message:
    """The Flask-Mail message for an outbox row, with a stable Message-ID."""
    mail = Message(
        subject=message.subject,
        recipients=[message.recipient],
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


def stale_claim_delay() -> timedelta:
    """How old a claim must be to count as a dead sender's (``MAIL_STALE_CLAIM_SECONDS``)."""
    return timedelta(seconds=float(current_app.config.get("MAIL_STALE_CLAIM_SECONDS", 600)))


def _write(work: Any) -> Any:
    """Run ``work()`` as one short writer's transaction of its own; roll back if it fails."""
    begin_write()
    try:
        result = work()
    except Exception:
        end_write(commit=False)
        raise
    end_write(commit=True)
    return result


def _owned(message_id: int, token: str | None) -> tuple[Any, ...]:
    """The conditions under which a sender still owns its claim on a message."""
    owner = OutboxMessage.claim_token == token if token else OutboxMessage.claim_token.is_(None)
    return (OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.SENDING, owner)


def _claim(message_id: int, due_at: datetime) -> str | None:
    """Move one due message to SENDING in its own transaction; None if someone else did.

    The claim gets its own random token and its own time (now, not the start of the pass):
    in a long pass the last claims are as fresh as the first, and only the token's holder
    can record the outcome.
    """
    token = secrets.token_hex(16)
    claimed = _write(
        lambda: (
            db.session.execute(
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
            ).rowcount
        )
    )
    return token if claimed == 1 else None


def _record(
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

    def record() -> OutboxStatus | None:
        attempts = db.session.scalar(
            select(OutboxMessage.attempts).where(*_owned(message_id, token))
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
        if (
            values
            and db.session.execute(
                update(OutboxMessage).where(*_owned(message_id, token)).values(**values)
            ).rowcount
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

    return _write(record)


def _record_sent(message_id: int, token: str) -> OutboxStatus | None:
    """Record a message the server accepted, trying again if the database is busy.

    Not recording it means the claim goes stale and the message is sent again (with the
    same Message-ID): worth a few more tries than any other write.
    """
    for attempt in range(1, RECORD_TRIES + 1):
        try:
            return _record(message_id, sent=True, token=token)
        except OperationalError:
            if attempt == RECORD_TRIES:
                raise
            log.warning("outbox %s: sent, but recording it failed; trying again", message_id)
    return None  # not reached


def _render(message: OutboxMessage, token: str) -> str:
    """Render a claimed message once and keep the result.

    Returns "ok", "gone" (its booking no longer exists: marked failed) or "lost" (the
    claim was given back meanwhile: the new owner sends it).
    """
    booking = db.session.get(Booking, message.booking_id) if message.booking_id else None
    if booking is None:
        _record(
            message.id, sent=False, error="booking no longer exists", permanent=True, token=token
        )
        return "gone"
    context = dict(message.context or {})
    base_url = context.pop("base_url", None)
    rendered = render_message(message.kind, booking, base_url, **context)
    message_id = message.id
    # Rendering took a while: the write lock is taken only to store the result.
    stored = _write(
        lambda: (
            db.session.execute(
                update(OutboxMessage)
                .where(*_owned(message_id, token))
                .values(**rendered, rendered_at=utcnow())
            ).rowcount
        )
    )
    return "ok" if stored else "lost"


def _release_stale_claims() -> None:
    """A sender that died mid-send leaves SENDING rows: give them back after a while.

    Each claim is judged by its own time. The token is cleared, so the sender that held
    it, should it be alive after all, can no longer record anything.
    """
    cutoff = utcnow() - stale_claim_delay()
    _write(
        lambda: db.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.status == OutboxStatus.SENDING,
                OutboxMessage.claimed_at < cutoff,
            )
            .values(status=OutboxStatus.PENDING, claim_token=None)
        )
    )


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
        _release_stale_claims()
        due = db.session.scalars(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.next_attempt_at <= due_at,
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
        ).all()
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
    token = _claim(message_id, due_at)
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
    built = _build(message)
    # Nothing stays open in the database while the SMTP server takes its time.
    db.session.rollback()
    try:
        connection.sendmail(built.sender, built.recipients, built.as_bytes())
    except (
        smtplib.SMTPRecipientsRefused,
        smtplib.SMTPSenderRefused,
        smtplib.SMTPDataError,
    ) as error:
        code = getattr(error, "smtp_code", None) or _first_code(error)
        permanent = code is not None and 500 <= code < 600
        outcome = _record(
            message_id, sent=False, error=repr(error), permanent=permanent, token=token
        )
        report.failed += outcome is OutboxStatus.FAILED
        report.retried += outcome is OutboxStatus.PENDING
        report.errors.append(repr(error))
        return True
    except (OSError, smtplib.SMTPException) as error:
        # The server dropped us or stopped answering: retry this one later, stop the pass.
        _record(message_id, sent=False, error=repr(error), token=token)
        _smtp_down(error, report, waiting=1)
        connection.close()  # no polite QUIT to a server that just dropped us
        return False
    try:
        outcome = _record_sent(message_id, token)
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


def _smtp_down(error: Exception, report: SendReport, waiting: int) -> None:
    """Note that the SMTP server cannot be reached: senders after commit pause a while."""
    global _smtp_unreachable_until
    report.retried += waiting
    report.errors.append(repr(error))
    _smtp_unreachable_until = time.monotonic() + float(
        current_app.config.get("MAIL_BACKOFF_SECONDS", 30)
    )


def _first_code(error: Exception) -> int | None:
    """The SMTP status code inside a refusal (recipients refused carry one per address)."""
    recipients = getattr(error, "recipients", None)
    if recipients:
        code = next(iter(recipients.values()))[0]
        return int(code)
    return None


def reset_circuit() -> None:
    """Forget that the SMTP server was down (``flask send-mail`` always tries)."""
    global _smtp_unreachable_until
    _smtp_unreachable_until = 0.0
