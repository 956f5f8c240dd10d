"""Domain errors. Views turn them into a message next to the form and a 4xx status."""

from __future__ import annotations

from datetime import datetime

from ..i18n import full_date, gettext, ngettext


class DomainError(Exception):
    """A rule said no. ``code`` is stable (for the API and logs), ``status`` is HTTP."""

    code = "domain_error"
    status = 409

    def message(self) -> str:
        """Return the explanation for a person, in the current language."""
        return gettext("Cette action n’est pas possible.")


class SessionNotFound(DomainError):
    """No session with that id."""

    code = "session_not_found"
    status = 404

    def message(self) -> str:
        """Explain in the current language."""
        return gettext("Cette séance n’existe pas.")


class BookingNotFound(DomainError):
    """No booking with that token (or ticket code)."""

    code = "booking_not_found"
    status = 404

    def message(self) -> str:
        """Explain in the current language."""
        return gettext("Cette réservation est introuvable.")


class BookingClosed(DomainError):
    """The session cannot be booked now; ``reason`` says why."""

    code = "booking_closed"
    status = 409

    def __init__(self, reason: str, opens_at: datetime | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.opens_at = opens_at

    def message(self) -> str:
        """Explain in the current language."""
        if self.reason == "cancelled":
            return gettext("Cette séance est annulée : elle ne peut plus être réservée.")
        if self.reason == "past":
            return gettext("Cette séance a déjà eu lieu.")
        if self.reason == "not_yet_open" and self.opens_at is not None:
            return gettext(
                "Les réservations ouvriront le %(when)s.",
                when=full_date(self.opens_at),
            )
        return gettext(
            "Les réservations en ligne sont closes pour cette séance. "
            "Il reste peut-être des places à l’entrée."
        )


class SessionFull(DomainError):
    """Not enough seats for the whole party."""

    code = "session_full"
    status = 409

    def __init__(self, seats_left: int, seats_wanted: int) -> None:
        super().__init__(seats_left)
        self.seats_left = seats_left
        self.seats_wanted = seats_wanted

    def message(self) -> str:
        """Explain in the current language, saying how many seats are left."""
        if self.seats_left == 0:
            return gettext("Cette séance est complète.")
        return ngettext(
            "Il ne reste plus qu’une place : réservez-la pour une personne.",
            "Il ne reste plus que %(num)d places : réduisez le nombre de places demandées.",
            self.seats_left,
        )


class InvalidSeats(DomainError):
    """A party size outside the allowed range."""

    code = "invalid_seats"
    status = 422

    def __init__(self, maximum: int) -> None:
        super().__init__(maximum)
        self.maximum = maximum

    def message(self) -> str:
        """Explain in the current language."""
        return gettext("Choisissez entre 1 et %(max)d places par réservation.", max=self.maximum)


class AlreadyCancelled(DomainError):
    """The booking was cancelled before."""

    code = "already_cancelled"
    status = 409

    def message(self) -> str:
        """Explain in the current language."""
        return gettext("Cette réservation est déjà annulée.")


class SessionStarted(DomainError):
    """Too late: the session has started."""

    code = "session_started"
    status = 409

    def message(self) -> str:
        """Explain in the current language."""
        return gettext("La séance a commencé : la réservation ne peut plus être modifiée.")


class NoOfferPending(DomainError):
    """Accept or decline on a booking that has no open offer."""

    code = "no_offer_pending"
    status = 409

    def message(self) -> str:
        """Explain in the current language."""
        return gettext("Aucune proposition de places n’est en attente pour cette réservation.")


class OfferExpired(DomainError):
    """The offer's deadline has passed."""

    code = "offer_expired"
    status = 409

    def message(self) -> str:
        """Explain in the current language."""
        return gettext(
            "Le délai pour accepter ces places est dépassé : elles ont été proposées à d’autres personnes."
        )


class PartyTooLarge(DomainError):
    """A party larger than the session itself can never be seated."""

    code = "party_too_large"
    status = 422

    def __init__(self, capacity: int) -> None:
        super().__init__(capacity)
        self.capacity = capacity

    def message(self) -> str:
        """Explain in the current language."""
        return gettext("Cette séance n’a que %(num)d places en tout.", num=self.capacity)


class CannotReduce(DomainError):
    """A party can only shrink, to at least one seat, before the session starts."""

    code = "cannot_reduce"
    status = 422

    def __init__(self, current: int) -> None:
        super().__init__(current)
        self.current = current

    def message(self) -> str:
        """Explain in the current language."""
        return gettext(
            "Choisissez un nombre de places entre 1 et %(num)d.", num=max(self.current - 1, 1)
        )


class CapacityBelowBooked(DomainError):
    """Lowering a capacity below the seats already confirmed or offered."""

    code = "capacity_below_booked"
    status = 409

    def __init__(self, taken: int) -> None:
        super().__init__(taken)
        self.taken = taken

    def message(self) -> str:
        """Explain in the current language."""
        return gettext(
            "Impossible : %(num)d places sont déjà réservées ou proposées. "
            "Annulez ou déplacez des réservations d’abord.",
            num=self.taken,
        )


class SeatsPerPersonExceeded(DomainError):
    """One address would hold more seats on a session than one person may.

    The message states the rule, never what the address holds. Like any cap per person,
    its outcome still depends on what the address holds: someone who knows an address and
    asks for a whole party could infer that it has seats. The per-address rate limit on
    booking forms keeps such probing slow; the mails go to the address's owner only.
    """

    code = "seats_per_person"
    status = 409

    def __init__(self, maximum: int) -> None:
        super().__init__(maximum)
        self.maximum = maximum

    def message(self) -> str:
        """Explain in the current language."""
        return gettext(
            "Une même personne ne peut pas réserver plus de %(max)d places pour une séance, "
            "liste d’attente comprise.",
            max=self.maximum,
        )


class BookingErased(DomainError):
    """The booking's personal details were erased: its link no longer opens anything."""

    code = "booking_erased"
    status = 410

    def message(self) -> str:
        """Explain in the current language."""
        return gettext(
            "Les données personnelles de cette réservation ont été effacées : "
            "ce lien ne donne plus accès à rien."
        )


class PartyInside(DomainError):
    """Some of the party are already in the room: their seats cannot be given away."""

    code = "party_inside"
    status = 409

    def __init__(self, inside: int, seats: int, *, reducing: bool = False) -> None:
        super().__init__(inside)
        self.inside, self.seats, self.reducing = inside, seats, reducing

    def message(self) -> str:
        """Say how many are in, and what can still be done."""
        if self.reducing:
            return ngettext(
                "Une personne de ce groupe est déjà entrée : gardez au moins une place.",
                "%(num)d personnes de ce groupe sont déjà entrées : "
                "gardez au moins %(num)d places.",
                self.inside,
            )
        refused = ngettext(
            "Une personne de ce groupe est déjà entrée : la réservation ne peut plus être annulée.",
            "%(num)d personnes de ce groupe sont déjà entrées : "
            "la réservation ne peut plus être annulée.",
            self.inside,
        )
        if self.inside >= self.seats:
            return refused
        return " ".join(
            (
                refused,
                ngettext(
                    "Vous pouvez encore réduire le groupe à %(num)d place.",
                    "Vous pouvez encore réduire le groupe à %(num)d places.",
                    self.inside,
                ),
            )
        )
