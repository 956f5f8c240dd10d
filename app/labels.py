"""The words shown for domain values, in the current language: the one place to change them.

Pages, forms (the organisers' choices), exports and e-mails all read them from here.
"""

from __future__ import annotations

from flask_babel import format_date

from .i18n import clock, gettext, ngettext
from .models import Booking, BookingStatus, EventKind, EventSession, SpecimenCategory
from .services.programme import Availability, availability
from .timeutil import paris


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


def category_label(category: SpecimenCategory) -> str:
    """« Minéral », « Minerai », « Roche », « Fossile »."""
    return {
        SpecimenCategory.MINERAL: gettext("Minéral"),
        SpecimenCategory.ORE: gettext("Minerai"),
        SpecimenCategory.ROCK: gettext("Roche"),
        SpecimenCategory.FOSSIL: gettext("Fossile"),
    }[category]


def category_plural(category: SpecimenCategory) -> str:
    """The filter's words: « Minéraux », « Minerais »…"""
    return {
        SpecimenCategory.MINERAL: gettext("Minéraux"),
        SpecimenCategory.ORE: gettext("Minerais"),
        SpecimenCategory.ROCK: gettext("Roches"),
        SpecimenCategory.FOSSIL: gettext("Fossiles"),
    }[category]


# A hike's difficulty is stored as one of these codes (``Event.difficulty``), in this order.
DIFFICULTIES = ("easy", "moderate", "hard")


def difficulty_label(code: str) -> str:
    """« facile », « moyenne », « difficile » for a hike's difficulty code."""
    return {
        "easy": gettext("facile"),
        "moderate": gettext("moyenne"),
        "hard": gettext("difficile"),
    }.get(code, code)


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


def opening_label(session: EventSession) -> str:
    """« Réservations ouvertes le 2 mai à 9 h », or that they open later, date to come."""
    opens_at = session.booking_opens_at
    if session.opening_pending or opens_at is None:
        return gettext("Réservations bientôt ouvertes")
    return gettext(
        "Réservations ouvertes le %(day)s à %(time)s",
        day=format_date(paris(opens_at).date(), "d MMMM"),
        time=clock(opens_at),
    )


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
        return opening_label(session)
    if state is Availability.CLOSED:
        return gettext("Réservations closes")
    if state is Availability.PAST:
        return gettext("Terminé")
    return gettext("Annulé")
