"""The session page's form for a group holding seats: what its code shows and books.

A wrong code, another session's code and a released one get the same message and the
same 404, with the public's form: nothing tells them apart (services/group_holds.py).
"""

from __future__ import annotations

from typing import NamedTuple

from ..forms import given, show_refusal
from ..i18n import current_language
from ..models import EventSession, GroupHold
from ..services import group_holds
from ..services.booking_request import BookingRequest
from ..services.group_hold_errors import GroupCodeInvalid
from .forms import BookingForm


class LinkOutcome(NamedTuple):
    """What a link with a code opens: the group's hold, or the refusal and its status."""

    hold: GroupHold | None
    status: int
    refusal: str | None


def from_link(form: BookingForm, session: EventSession, code: str) -> LinkOutcome:
    """The hold a link's code opens; else the one message every wrong code gets."""
    try:
        hold = group_holds.find_by_code(session.id, code)
    except GroupCodeInvalid as error:
        return LinkOutcome(None, error.status, show_refusal(None, error))
    form.group_code.data = code[: group_holds.CODE_MAX_TYPED]
    return LinkOutcome(hold, 200, None)


def hold_shown(session: EventSession, code: str) -> GroupHold | None:
    """The hold whose form a POST with ``code`` answers with (None: the public's form)."""
    try:
        return group_holds.find_by_code(session.id, code)
    except GroupCodeInvalid:
        return None


def group_request(
    form: BookingForm, session: EventSession, answers: dict[int, str]
) -> group_holds.GroupBookingRequest:
    """Turn a validated form with a group code (and its typed answers) into a plain request."""
    return group_holds.GroupBookingRequest(
        booking=BookingRequest(
            session_id=session.id,
            name=given(form.name.data),
            email=given(form.email.data),
            seats=given(form.seats.data),
            phone=form.phone.data or "",
            accessibility_needs=form.accessibility_needs.data or "",
            locale=current_language(),
            nonce=form.nonce.data or None,
            source="group",
            answers=tuple(answers.items()),
        ),
        code=given(form.group_code.data),
        adults=form.adults.data or 0,
    )


def panel_template(hold: GroupHold | None) -> str:
    """The booking panel for a group's code, or the public's."""
    return "public/_group_panel.html" if hold is not None else "public/_booking_panel.html"
