"""Staff accounts: organisers, door staff and administrators."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from ..timeutil import utcnow
from .types import UTCDateTime, enum_column


class Role(enum.StrEnum):
    """What a staff member may do. An admin may do everything."""

    ADMIN = "admin"  # everything, including staff accounts and the audit log
    ORGANISER = "organiser"  # events, sessions, bookings, messages, gallery
    CHECKIN = "checkin"  # the check-in pages only


class StaffUser(UserMixin, Model):
    """A person who signs in to the dashboard or the door tablet."""

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    role: Mapped[Role] = mapped_column(enum_column(Role))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def is_active(self) -> bool:  # Flask-Login reads this
        """Disabled accounts cannot sign in."""
        return self.active

    def may(self, *roles: Role) -> bool:
        """Whether this person has one of ``roles`` (admins have them all)."""
        return self.role is Role.ADMIN or self.role in roles


class LoginThrottle(Model):
    """Failed sign-ins counted under one key: an address, or an address from one client.

    Kept apart from the accounts, so that an address with no account is counted (and
    answered) exactly like one with an account. The key is a digest: the table holds
    neither the addresses people typed nor where they typed them from.
    """

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
