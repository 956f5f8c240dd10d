"""What a visitor may ask of a session right now: book, join its waiting list, how many seats.

The session page's booking panel shows exactly this; the rules that then accept or refuse
the request are in booking.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..models import EventSession
from .booking import max_seats_per_booking, max_seats_per_person
from .programme import BOOKABLE, Availability, availability


@dataclass(frozen=True)
class BookingOptions:
    """What the booking panel offers for one session."""

    state: Availability
    # Seats can be booked now (the « Confirmer la réservation » button).
    can_book: bool
    # The session is full: the form is the waiting list's, and nothing else.
    waitlist_only: bool
    # The largest party the form proposes.
    max_seats: int
    # The « Rejoindre la liste d'attente » button.
    can_join_waitlist: bool

    @property
    def has_form(self) -> bool:
        """Whether the panel holds a form at all (else it says why not)."""
        return self.can_book or self.waitlist_only


def booking_options(session: EventSession, refused_party: int | None = None) -> BookingOptions:
    """What ``session`` offers; ``refused_party``: the party size a booking was just refused for.

    A full session offers only its waiting list, for any party one booking may hold. An
    open one offers as many seats as are left (within the caps), and its waiting list
    too once a party was refused for being larger than the seats left: such a party
    could not book, but may wait for seats.
    """
    state = availability(session)
    full = state is Availability.FULL
    per_party = min(max_seats_per_booking(), max_seats_per_person())
    too_many_for_seats_left = (
        refused_party is not None and session.seats_left < refused_party <= max_seats_per_booking()
    )
    return BookingOptions(
        state=state,
        can_book=state in BOOKABLE,
        waitlist_only=full,
        max_seats=per_party if full else min(per_party, session.seats_left),
        can_join_waitlist=full or too_many_for_seats_left,
    )
