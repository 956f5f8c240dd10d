"""Reading a tablet's batch of offline actions: JSON in, ``DoorStep`` out, or a clear no."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ..i18n import gettext
from ..security import LARGEST_ID
from ..services.checkin.sync import KINDS, DoorStep

LARGEST_BATCH = 200


class BadBatch(Exception):
    """The batch is not one a door tablet makes: nothing is applied."""

    def __init__(self) -> None:
        super().__init__()
        self.message = gettext(
            "Envoi illisible : aucune action n’a été enregistrée. Rechargez la page."
        )


def _id(raw: Any, required: bool = False) -> int | None:
    """A database id, or None when absent; anything else refuses the batch."""
    if raw is None and not required:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 < raw <= LARGEST_ID:
        raise BadBatch()
    return raw


def _text(raw: Any, longest: int) -> str | None:
    """A short string, or None when absent."""
    if raw is None:
        return None
    if not isinstance(raw, str) or len(raw) > longest or "\x00" in raw:
        raise BadBatch()
    return raw


def _seats(raw: Any) -> int | None:
    """A seat count (the services refuse a count out of range with their own message)."""
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or not -1000 <= raw <= 100_000:
        raise BadBatch()
    return raw


def _moment(raw: Any) -> datetime | None:
    """When the tablet says the action was taken; an unreadable time is simply ignored."""
    if not isinstance(raw, str):
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def read_step(raw: Any) -> DoorStep:
    """One action of the batch."""
    if not isinstance(raw, dict) or raw.get("kind") not in KINDS:
        raise BadBatch()
    nonce = _text(raw.get("nonce"), 64)
    if not nonce:
        raise BadBatch()
    step = DoorStep(
        nonce=nonce,
        kind=raw["kind"],
        session_id=_id(raw.get("session"), required=True) or 0,
        booking_id=_id(raw.get("booking")),
        ticket_code=_text(raw.get("code"), 64),
        seats=_seats(raw.get("seats")),
        name=(_text(raw.get("name"), 120) or ""),
        check_in_id=_id(raw.get("check_in")),
        entry_id=_id(raw.get("entry")),
        target=_text(raw.get("target"), 64),
        at=_moment(raw.get("at")),
    )
    if step.kind == "check_in" and step.booking_id is None and not (step.ticket_code or "").strip():
        raise BadBatch()
    if step.kind == "join" and step.booking_id is None:
        raise BadBatch()
    if step.kind == "undo" and step.check_in_id is None and not step.target:
        raise BadBatch()
    if step.kind == "leave" and step.entry_id is None and not step.target:
        raise BadBatch()
    return step


def read_steps(body: Any) -> list[DoorStep]:
    """Every action of a batch, in order; ``BadBatch`` if any is not one a tablet makes."""
    if not isinstance(body, dict) or not isinstance(body.get("actions"), list):
        raise BadBatch()
    actions = body["actions"]
    if not 0 < len(actions) <= LARGEST_BATCH:
        raise BadBatch()
    return [read_step(raw) for raw in actions]
