"""The change counter behind the live seat counts' ETag."""

from __future__ import annotations

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model

SEATS_COUNTER = "seats"


class ChangeCounter(Model):
    """A named counter bumped in the same transaction as every seat change.

    Kept in the database (not in a worker's memory) so every gunicorn worker answers
    the same ETag. The row is created by the migration.
    """

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
