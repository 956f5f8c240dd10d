"""Staff accounts: creation and sign-in with throttling.

After ``FREE_ATTEMPTS`` wrong passwords in a row, each new attempt must wait longer
(5 s, 10 s, 20 s…); after ``LOCK_AFTER`` the account is locked for ``LOCK_MINUTES``.
A correct password resets the count. Unknown addresses get the same answer and the same
work (a hash check) as known ones, so the form does not tell who has an account.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from ..database import begin_write
from ..extensions import db
from ..models import Role, StaffUser
from ..timeutil import utcnow
from .audit import audit
from .errors import DomainError

FREE_ATTEMPTS = 3
LOCK_AFTER = 8
LOCK_MINUTES = 15
MIN_PASSWORD_LENGTH = 10
# Checked against when the address is unknown, so both cases take the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password-but-the-same-work")


class InvalidCredentials(DomainError):
    """Wrong address or password (never says which)."""

    code = "invalid_credentials"
    status = 401

    def message(self) -> str:
        """Explain in the current language."""
        return gettext("Adresse e-mail ou mot de passe incorrect.")


class LoginThrottled(DomainError):
    """Too many failures in a row: wait before the next attempt."""

    code = "login_throttled"
    status = 429

    def __init__(self, wait_seconds: int) -> None:
        super().__init__(wait_seconds)
        self.wait_seconds = wait_seconds

    def message(self) -> str:
        """Explain in the current language."""
        return gettext(
            "Trop d’essais infructueux. Patientez %(seconds)d secondes avant de réessayer.",
            seconds=self.wait_seconds,
        )


class AccountLocked(DomainError):
    """Locked after too many failures."""

    code = "account_locked"
    status = 429

    def __init__(self, until: datetime) -> None:
        super().__init__(until)
        self.until = until

    def message(self) -> str:
        """Explain in the current language."""
        minutes = max(1, int((self.until - utcnow()).total_seconds() // 60) + 1)
        return gettext(
            "Ce compte est verrouillé après trop d’essais. Réessayez dans %(minutes)d minutes, "
            "ou demandez à un administrateur.",
            minutes=minutes,
        )


class WeakPassword(DomainError):
    """A password too short to protect people's data."""

    code = "weak_password"
    status = 422

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
    begin_write()
    email = email.strip().lower()
    user = db.session.scalar(select(StaffUser).where(StaffUser.email == email))
    if user is None:
        user = StaffUser(email=email, role=role, name=name, password_hash="")
        db.session.add(user)
    user.role, user.name = role, name or user.name
    user.password_hash = generate_password_hash(password)
    user.failed_logins, user.locked_until = 0, None
    db.session.flush()
    audit("staff.saved", actor, role=role.value, staff_id=user.id)
    return user


def wait_before_next_attempt(failures: int) -> timedelta:
    """How long after the last failure the next attempt is allowed."""
    if failures < FREE_ATTEMPTS:
        return timedelta(0)
    return timedelta(seconds=5 * 2 ** (failures - FREE_ATTEMPTS))


def authenticate(email: str, password: str, *, now: datetime | None = None) -> StaffUser:
    """Return the account if the password is right; otherwise raise why not.

    Raises ``InvalidCredentials``, ``LoginThrottled`` or ``AccountLocked``; every failure
    is recorded (so the request must commit even when it answers with an error).
    """
    now = now or utcnow()
    begin_write()
    user = db.session.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower()))
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password)
        raise InvalidCredentials()
    if user.locked_until and user.locked_until > now:
        raise AccountLocked(user.locked_until)
    if user.last_failed_at is not None:
        allowed_at = user.last_failed_at + wait_before_next_attempt(user.failed_logins)
        if allowed_at > now:
            raise LoginThrottled(int((allowed_at - now).total_seconds()) + 1)
    if not check_password_hash(user.password_hash, password):
        user.failed_logins += 1
        user.last_failed_at = now
        if user.failed_logins >= LOCK_AFTER:
            user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
            user.failed_logins = 0
            audit("staff.locked", email, staff_id=user.id)
        raise InvalidCredentials()
    user.failed_logins, user.last_failed_at, user.locked_until = 0, None, None
    user.last_login_at = now
    return user
