"""Staff accounts: creation, and sign-in with throttling that never locks anyone out.

Failures are counted under two keys, for every address typed (an account or not, so the
form never tells who has an account: same status, same page, same waits, same work):

* per address *and* client (its IP address): the first ``CLIENT_FREE_ATTEMPTS`` wrong
  passwords are free, then each new attempt from that client must wait 5 s, 10 s, 20 s…,
  never more than ``CLIENT_MAX_WAIT``. A correct password resets this count;
* per address, from every client: once ``ADDRESS_BUSY_AFTER`` failures pile up, a client
  that has itself failed for that address waits at least ``ADDRESS_WAIT`` between its
  attempts. It only slows guessing spread over many clients down.

A client with no failure of its own is never held back, so a stranger guessing from
elsewhere cannot keep door staff out; counts are forgotten after ``FORGET_AFTER`` without
a failure. Every attempt is counted as a failure *before* the password is checked, in
one atomic statement (an upsert that adds 1), and un-counted when the password is right;
so parallel guesses are all counted, and none slips past a wait while another is checked.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from werkzeug.security import check_password_hash, generate_password_hash

from ..database import writing
from ..extensions import db
from ..i18n import gettext
from ..models import LoginThrottle, Role, StaffUser
from ..timeutil import utcnow
from .audit import audit
from .errors import DomainError

CLIENT_FREE_ATTEMPTS = 3
CLIENT_MAX_WAIT = timedelta(seconds=60)
ADDRESS_BUSY_AFTER = 10
ADDRESS_WAIT = timedelta(seconds=30)
FORGET_AFTER = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 10
# Checked against when the address is unknown, so both cases take the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password-but-the-same-work")


class InvalidCredentials(DomainError):
    """Wrong address or password (never says which)."""

    code = "invalid_credentials"
    status = 401
    keeps_what_it_wrote = True  # the failure is counted

    def message(self) -> str:
        """Explain in the current language."""
        return gettext("Adresse e-mail ou mot de passe incorrect.")


class LoginThrottled(DomainError):
    """Too many failures in a row: wait before the next attempt."""

    code = "login_throttled"
    status = 429
    keeps_what_it_wrote = True  # an attempt counted before the wait was found stays counted

    def __init__(self, wait_seconds: int) -> None:
        super().__init__(wait_seconds)
        self.wait_seconds = wait_seconds

    def message(self) -> str:
        """Explain in the current language."""
        return gettext(
            "Trop d’essais infructueux. Patientez %(seconds)d secondes avant de réessayer.",
            seconds=self.wait_seconds,
        )


class WeakPassword(DomainError):
    """A password too short to protect people's data."""

    code = "weak_password"
    status = 422
    field = "password"

    def message(self) -> str:
        """Explain in the current language."""
        return gettext(
            "Le mot de passe doit faire au moins %(num)d caractères.", num=MIN_PASSWORD_LENGTH
        )


def create_user(
    email: str, role: Role, password: str, name: str = "", *, actor: str = "cli"
) -> StaffUser:
    """Create (or update the role and password of) a staff account."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword()
    with writing():
        email = email.strip().lower()
        user = db.session.scalar(select(StaffUser).where(StaffUser.email == email))
        if user is None:
            user = StaffUser(email=email, role=role, name=name, password_hash="")
            db.session.add(user)
        user.role, user.name = role, name or user.name
        user.password_hash = generate_password_hash(password)
        db.session.flush()
        audit("staff.saved", actor, role=role.value, staff_id=user.id)
        return user


def staff_users() -> list[StaffUser]:
    """Every staff account, by address."""
    return list(db.session.scalars(select(StaffUser).order_by(StaffUser.email)))


def _key(*parts: str) -> str:
    """The throttle key of an address (and client): a keyed digest, not the values.

    Keyed with SECRET_KEY, so that the table cannot be matched against a list of addresses.
    """
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, "\0".join(parts).encode(), hashlib.sha256).hexdigest()


def address_key(email: str) -> str:
    """The key counting every client's failures for ``email``."""
    return _key("address", email)


def client_key(email: str, client: str) -> str:
    """The key counting one client's failures for ``email``."""
    return _key("client", email, client)


def normalise_email(email: str) -> str:
    """Addresses are compared without case or surrounding spaces."""
    return email.strip().lower()


def wait_before_next_attempt(client_failures: int, address_failures: int = 0) -> timedelta:
    """How long after a client's last failure its next attempt is allowed."""
    wait = timedelta(0)
    if client_failures >= CLIENT_FREE_ATTEMPTS:
        doublings = min(client_failures - CLIENT_FREE_ATTEMPTS, 10)
        wait = min(timedelta(seconds=5 * 2**doublings), CLIENT_MAX_WAIT)
    if client_failures and address_failures >= ADDRESS_BUSY_AFTER:
        wait = max(wait, ADDRESS_WAIT)
    return wait


def _recent(key: str, now: datetime) -> tuple[int, datetime | None]:
    """(failures, last failure) under ``key``, zero once forgotten."""
    row = db.session.execute(
        select(LoginThrottle.failures, LoginThrottle.last_failed_at).where(LoginThrottle.key == key)
    ).first()
    if row is None or row.last_failed_at <= now - FORGET_AFTER:
        return 0, None
    return row.failures, row.last_failed_at


def _count_failure(key: str, now: datetime) -> int:
    """Add one failure under ``key`` in one statement; return the new count.

    An upsert: no read-then-write, so two requests at once both count (on PostgreSQL
    the second waits for the first's row lock).
    """
    table = LoginThrottle.__table__
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    forgotten = table.c.last_failed_at <= now - FORGET_AFTER
    statement = (
        dialect.insert(table)
        .values(key=key, failures=1, last_failed_at=now)
        .on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "failures": case((forgotten, 1), else_=table.c.failures + 1),
                "last_failed_at": now,
            },
        )
        .returning(table.c.failures)
    )
    return int(db.session.execute(statement).scalar_one())


def _refuse_until(allowed_at: datetime, now: datetime) -> LoginThrottled:
    """The refusal of an attempt made before ``allowed_at``."""
    return LoginThrottled(max(1, math.ceil((allowed_at - now).total_seconds())))


def failures_recorded(email: str, client: str | None = None, *, now: datetime | None = None) -> int:
    """The failures currently counted for ``email`` (from ``client``, or from everyone)."""
    email = normalise_email(email)
    key = address_key(email) if client is None else client_key(email, client)
    return _recent(key, now or utcnow())[0]


def authenticate(
    email: str, password: str, *, client: str = "", now: datetime | None = None
) -> StaffUser:
    """Return the account if the password is right; otherwise raise why not.

    ``client`` is where the attempt comes from (the request's address). Raises
    ``InvalidCredentials`` or ``LoginThrottled``; every failure is recorded, so the
    request must commit even when it answers with an error.
    """
    now = now or utcnow()
    email = normalise_email(email)
    own_key, everyone_key = client_key(email, client), address_key(email)
    with writing():
        own_failures, last_failed_at = _recent(own_key, now)
        address_failures = _recent(everyone_key, now)[0]
        if last_failed_at is not None:
            allowed_at = last_failed_at + wait_before_next_attempt(own_failures, address_failures)
            if allowed_at > now:
                raise _refuse_until(allowed_at, now)
        counted = _count_failure(own_key, now)  # taken back below if the password is right
        if counted > own_failures + 1:
            # Other attempts from this client were counted since our read: they came first.
            wait = wait_before_next_attempt(counted - 1, address_failures)
            if wait:
                raise _refuse_until(now + wait, now)
        user = db.session.scalar(select(StaffUser).where(StaffUser.email == email))
        known = user is not None and user.active
        right = check_password_hash(user.password_hash if known else _DUMMY_HASH, password)
        if not (known and right):
            _count_failure(everyone_key, now)
            raise InvalidCredentials()
        db.session.execute(
            delete(LoginThrottle).where(
                (LoginThrottle.key == own_key)
                | (LoginThrottle.last_failed_at <= now - FORGET_AFTER)
            )
        )
        user.last_login_at = now
        return user
