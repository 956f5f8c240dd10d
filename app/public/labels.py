"""Words shown for domain values, in the current language."""

from __future__ import annotations

from flask_babel import format_datetime, gettext, ngettext

from ..models import Booking, BookingStatus, EventKind, EventSession
from ..services.programme import Availability, availability, few_seats_threshold


def kind_label(kind: EventKind) -> str:
    """« Visite commentée », « Film »…"""
    return {
        EventKind.VISIT: gettext("Visite commentée"),
        EventKind.FILM: gettext("Film du midi"),
        EventKind.CONFERENCE: gettext("Conférence"),
        EventKind.HIKE: gettext("Randonnée"),
        EventKind.PRO_DAY: gettext("Journée professionnelle"),
    }[kind]


def kind_plural(kind: EventKind) -> str:
    """The filter's words: « Visites commentées », « Films »…"""
    return {
        EventKind.VISIT: gettext("Visites commentées"),
        EventKind.FILM: gettext("Films"),
        EventKind.CONFERENCE: gettext("Conférences"),
        EventKind.HIKE: gettext("Randonnées"),
        EventKind.PRO_DAY: gettext("Journée pro"),
    }[kind]


def availability_label(session: EventSession, state: Availability | None = None) -> str:
    """« 12 places », « Dernières places : 3 », « Complet »…"""
    state = state or availability(session)
    left = session.seats_left
    if state is Availability.OPEN:
        return ngettext("%(num)d place", "%(num)d places", left)
    if state is Availability.FEW:
        return ngettext("Dernière place\u202f!", "Dernières places\u202f: %(num)d", left)
    if state is Availability.FULL:
        return gettext("Complet – liste d’attente")
    if state is Availability.NOT_YET_OPEN:
        return gettext(
            "Ouverture le %(when)s",
            when=format_datetime(session.booking_opens_at, "d MMMM, HH:mm"),
        )
    if state is Availability.CLOSED:
        return gettext("Réservations closes")
    if state is Availability.PAST:
        return gettext("Terminé")
    return gettext("Annulé")


def meter_bounds(session: EventSession) -> dict[str, float]:
    """``low``/``high`` of the fill ``<meter>``: green, then amber for the last seats, red when full."""
    capacity = session.capacity or 1
    return {"low": capacity - few_seats_threshold(capacity) + 0.5, "high": capacity - 0.5}


def booking_status_label(booking: Booking) -> str:
    """« Confirmée », « Annulée »…"""
    return {
        BookingStatus.CONFIRMED: gettext("Confirmée"),
        BookingStatus.WAITING: gettext("En liste d’attente"),
        BookingStatus.OFFERED: gettext("Places proposées, en attente de votre réponse"),
        BookingStatus.CANCELLED: gettext("Annulée"),
        BookingStatus.EXPIRED: gettext("Proposition expirée"),
        BookingStatus.RELEASED: gettext("Places libérées (arrivée après le début)"),
    }[booking.status]


def ordinal(number: int) -> str:
    """« 2e », « 3e » in French; "2nd", "3rd" in English."""
    from ..i18n import current_language

    if current_language() == "fr":
        return "1re" if number == 1 else f"{number}e"
    suffix = (
        "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    )
    return f"{number}{suffix}"


def difficulty_label(code: str) -> str:
    """« facile », « moyenne », « difficile » for a hike's difficulty code."""
    return {
        "easy": gettext("facile"),
        "moderate": gettext("moyenne"),
        "hard": gettext("difficile"),
    }.get(code, code)
