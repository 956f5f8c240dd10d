"""A new booking's secrets: the token of its private link and the ticket code read at the door."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select

from ..extensions import db
from ..models import Booking

# No 0/O or 1/I: the code is read aloud and typed at the door.
TICKET_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
TICKET_LENGTH = 8


def new_token() -> str:
    """Return a booking token: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def new_ticket_code() -> str:
    """Return an unused ticket code such as ``K7MQ-3XPA``."""
    while True:
        raw = "".join(secrets.choice(TICKET_ALPHABET) for _ in range(TICKET_LENGTH))
        code = f"{raw[:4]}-{raw[4:]}"
        exists = db.session.execute(select(Booking.id).where(Booking.ticket_code == code)).first()
        if exists is None:
            return code


@dataclass(frozen=True)
class BookingKeys:
    """A new booking's secret token and ticket code, drawn before the session's lock is taken."""

    token: str
    ticket_code: str

    @classmethod
    def draw(cls) -> BookingKeys:
        """Fresh secrets (the ticket code's uniqueness check is a query: keep it out of the lock)."""
        return cls(token=new_token(), ticket_code=new_ticket_code())
