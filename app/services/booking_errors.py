"""What the booking rules say when they say no: seats, offers, the waiting list, cancelling."""

from __future__ import annotations

from typing import Any

from ..i18n import full_date, gettext, ngettext
from .errors import N_, NP_, DomainError


class SessionNotFound(DomainError):
    """No session with that id."""

    code, status, positional = "session_not_found", 404, ("session_id",)
    text = N_("Cette séance n’existe pas.")


class BookingNotFound(DomainError):
    """No booking with that token (or ticket code)."""

    code, status = "booking_not_found", 404
    text = N_("Cette réservation est introuvable.")


class BookingClosed(DomainError):
    """The session cannot be booked now; ``reason`` says why."""

    code, status, positional = "booking_closed", 409, ("reason", "opens_at")

    def message(self) -> str:
        """Explain the reason."""
        reason, opens_at = self.values.get("reason"), self.values.get("opens_at")
        if reason == "cancelled":
            return gettext("Cette séance est annulée : elle ne peut plus être réservée.")
        if reason == "past":
            return gettext("Cette séance a déjà eu lieu.")
        if reason == "not_yet_open" and opens_at is not None:
            return gettext("Les réservations ouvriront le %(when)s.", when=full_date(opens_at))
        if reason == "not_yet_open":
            return gettext("Les réservations de cette séance ne sont pas encore ouvertes.")
        return gettext(
            "Les réservations en ligne sont closes pour cette séance. "
            "Il reste peut-être des places à l’entrée."
        )


class SessionFull(DomainError):
    """Not enough seats for the whole party."""

    code, status, field = "session_full", 409, "seats"
    positional = ("seats_left", "seats_wanted")

    def message(self) -> str:
        """Say how many seats are left."""
        if self.seats_left == 0:
            return gettext("Cette séance est complète.")
        return ngettext(
            "Il ne reste plus qu’une place : réservez-la pour une personne.",
            "Il ne reste plus que %(num)d places : réduisez le nombre de places demandées.",
            self.seats_left,
        )


class InvalidSeats(DomainError):
    """A party size outside the allowed range."""

    code, status, field, positional = "invalid_seats", 422, "seats", ("maximum",)
    text = N_("Choisissez entre 1 et %(max)d places par réservation.")

    def text_values(self) -> dict[str, Any]:
        """The largest party."""
        return {"max": self.maximum}


class AlreadyCancelled(DomainError):
    """The booking was cancelled before."""

    code = "already_cancelled"
    text = N_("Cette réservation est déjà annulée.")


class SessionStarted(DomainError):
    """Too late: the session has started."""

    code = "session_started"
    text = N_("La séance a commencé : la réservation ne peut plus être modifiée.")


class NoOfferPending(DomainError):
    """Accept or decline on a booking that has no open offer."""

    code = "no_offer_pending"
    text = N_("Aucune proposition de places n’est en attente pour cette réservation.")


class OfferExpired(DomainError):
    """The offer's deadline has passed."""

    code = "offer_expired"
    text = N_(
        "Le délai pour accepter ces places est dépassé : elles ont été proposées à d’autres personnes."
    )


class PartyTooLarge(DomainError):
    """A party larger than the session itself can never be seated."""

    code, status, field, positional = "party_too_large", 422, "seats", ("capacity",)
    text = N_("Cette séance n’a que %(num)d places en tout.")

    def text_values(self) -> dict[str, Any]:
        """The session's capacity."""
        return {"num": self.capacity}


class CannotReduce(DomainError):
    """A party can only shrink, to at least one seat, before the session starts."""

    code, status, field, positional = "cannot_reduce", 422, "seats", ("current",)
    text = N_("Choisissez un nombre de places entre 1 et %(num)d.")

    def text_values(self) -> dict[str, Any]:
        """The largest smaller party."""
        return {"num": max(self.current - 1, 1)}


class CapacityBelowBooked(DomainError):
    """Lowering a capacity below the seats already confirmed or offered."""

    code, field, positional = "capacity_below_booked", "capacity", ("taken",)
    text = N_(
        "Impossible : %(num)d places sont déjà réservées ou proposées. "
        "Annulez ou déplacez des réservations d’abord."
    )

    def text_values(self) -> dict[str, Any]:
        """The seats taken."""
        return {"num": self.taken}


class SeatsPerPersonExceeded(DomainError):
    """One address would hold more seats on a session than one person may.

    The message states the rule, never what the address holds. Like any cap per person,
    its outcome still depends on what the address holds: someone who knows an address and
    asks for a whole party could infer that it has seats. The per-address rate limit on
    booking forms keeps such probing slow; the mails go to the address's owner only.
    """

    code, field, positional = "seats_per_person", "seats", ("maximum",)
    text = N_(
        "Une même personne ne peut pas réserver plus de %(max)d places pour une séance, "
        "liste d’attente comprise."
    )

    def text_values(self) -> dict[str, Any]:
        """The cap."""
        return {"max": self.maximum}


class BookingErased(DomainError):
    """The booking's personal details were erased: its link no longer opens anything."""

    code, status = "booking_erased", 410
    text = N_(
        "Les données personnelles de cette réservation ont été effacées : "
        "ce lien ne donne plus accès à rien."
    )


class PartyInside(DomainError):
    """Some of the party are already in the room: their seats cannot be given away."""

    code, field, positional = "party_inside", "seats", ("inside", "seats", "reducing")

    def message(self) -> str:
        """Say how many are in, and what can still be done."""
        inside = self.inside
        if self.values.get("reducing"):
            return ngettext(
                "Une personne de ce groupe est déjà entrée : gardez au moins une place.",
                "%(num)d personnes de ce groupe sont déjà entrées : "
                "gardez au moins %(num)d places.",
                inside,
            )
        refused = ngettext(
            "Une personne de ce groupe est déjà entrée : la réservation ne peut plus être annulée.",
            "%(num)d personnes de ce groupe sont déjà entrées : "
            "la réservation ne peut plus être annulée.",
            inside,
        )
        if inside >= self.values["seats"]:
            return refused
        return " ".join(
            (
                refused,
                ngettext(
                    "Vous pouvez encore réduire le groupe à %(num)d place.",
                    "Vous pouvez encore réduire le groupe à %(num)d places.",
                    inside,
                ),
            )
        )


# A booking's plans change: another session, a different party size (services/plan_changes).


class NotSameEvent(DomainError):
    """A booking can only move to another session of its own event."""

    code, field = "not_same_event", "session_id"
    text = N_("Une réservation ne peut être déplacée que vers une autre séance du même événement.")


class NotMovable(DomainError):
    """Only confirmed bookings move, and only before anyone of the party is in."""

    code, field, positional = "not_movable", "session_id", ("inside",)

    def message(self) -> str:
        """Say why the booking stays where it is."""
        if self.values.get("inside"):
            return gettext(
                "Des personnes de ce groupe sont déjà entrées : "
                "la réservation ne peut plus être déplacée."
            )
        return gettext("Seules les réservations confirmées peuvent être déplacées.")


class MoveClosed(DomainError):
    """The booking's own session is too close (or past) for it to leave."""

    code, field, positional = "move_closed", "session_id", ("reason",)

    def message(self) -> str:
        """Say why, and who can still help."""
        reason = self.values.get("reason")
        if reason == "past":
            return gettext(
                "Cette séance a déjà eu lieu : la réservation ne peut plus être déplacée."
            )
        if reason == "started":
            return gettext("La séance a commencé : la réservation ne peut plus être déplacée.")
        return gettext(
            "Les réservations en ligne sont closes pour votre séance : pour changer d’horaire, "
            "adressez-vous à l’accueil."
        )


class MoveTargetClosed(DomainError):
    """The session asked for does not take bookings now."""

    code, field, positional = "move_target_closed", "session_id", ("reason", "opens_at")

    def message(self) -> str:
        """The target's reason, as its own booking form would say it."""
        reason, opens_at = self.values.get("reason"), self.values.get("opens_at")
        if reason == "cancelled":
            return gettext("Cette séance est annulée : choisissez-en une autre.")
        if reason in ("past", "started"):
            return gettext("Cette séance a déjà commencé : choisissez-en une autre.")
        if reason == "not_yet_open" and opens_at is not None:
            return gettext(
                "Les réservations de cette séance ouvriront le %(when)s.", when=full_date(opens_at)
            )
        return gettext("Les réservations en ligne sont closes pour cette séance.")


class MoveTargetFull(DomainError):
    """The session asked for has no room for the whole party."""

    code, field, positional = "move_target_full", "session_id", ("seats_left", "seats_wanted")
    may_wait = True

    def message(self) -> str:
        """How many seats are left there, against the party."""
        if self.seats_left <= 0:
            return gettext("Cette séance est complète.")
        return ngettext(
            "Il ne reste qu’une place à cette séance, pour un groupe de %(seats)d.",
            "Il ne reste que %(num)d places à cette séance, pour un groupe de %(seats)d.",
            self.seats_left,
            seats=self.seats_wanted,
        )


class CannotGrow(DomainError):
    """Only a confirmed booking takes more seats (a waiting party waits for its own size),
    and only before anyone of the party is in: the door takes latecomers from then on."""

    code, field, positional = "cannot_grow", "seats", ("inside",)

    def message(self) -> str:
        """Say why the party keeps its size, and where more seats may still be found."""
        if self.values.get("inside"):
            return gettext(
                "Des personnes de ce groupe sont déjà entrées : "
                "pour des places en plus, adressez-vous à l’accueil."
            )
        return gettext(
            "Seule une réservation confirmée peut prendre des places en plus. "
            "Sur la liste d’attente, vous pouvez seulement réduire le groupe."
        )


class SameSeats(DomainError):
    """The size asked for is the booking's own."""

    code, status, field, positional = "same_seats", 422, "seats", ("current",)
    text = NP_(
        "Votre réservation compte déjà %(num)d place.",
        "Votre réservation compte déjà %(num)d places.",
    )

    def text_values(self) -> dict[str, Any]:
        """The current size."""
        return {"num": self.current}


class NotEnoughSeatsToGrow(DomainError):
    """Fewer free seats than the extra seats asked for; says how many are left."""

    code, field, positional = "not_enough_seats_to_grow", "seats", ("seats_left", "current")
    may_wait = True

    def message(self) -> str:
        """How many seats are left, and the largest party that fits now."""
        if self.seats_left <= 0:
            return gettext("Il ne reste aucune place libre à cette séance.")
        return ngettext(
            "Il ne reste qu’une place libre : votre groupe peut passer à %(most)d places.",
            "Il ne reste que %(num)d places libres : votre groupe peut passer à %(most)d places "
            "au plus.",
            self.seats_left,
            most=self.current + self.seats_left,
        )


class ChangedMeanwhile(DomainError):
    """The booking moved while the change was asked for: the page is out of date."""

    code = "changed_meanwhile"
    text = N_("Votre réservation vient d’être modifiée : vérifiez-la sur cette page.")


class ChangeNoLongerPossible(DomainError):
    """The lead can no longer take the change its offer is for (it moved in, or started)."""

    code, positional = "change_no_longer_possible", ("inside",)

    def message(self) -> str:
        """Say why, and what the visitor may still do."""
        if self.values.get("inside"):
            return gettext(
                "Des personnes de ce groupe sont déjà entrées : la réservation ne peut plus "
                "changer de séance. Vous pouvez décliner ces places."
            )
        return gettext(
            "Votre séance a commencé : la réservation ne peut plus changer de séance. "
            "Vous pouvez décliner ces places."
        )


class AlsoNotPossible(DomainError):
    """A session ticked to wait on as well that cannot take this party's wait."""

    code, status, field, positional = "also_not_possible", 422, "also", ("starts_at", "why")

    def message(self) -> str:
        """Name the session and the reason."""
        why, starts_at = self.values.get("why"), self.values.get("starts_at")
        if why == "too_large" and starts_at is not None:
            return gettext(
                "La séance du %(when)s est trop petite pour votre groupe : décochez-la.",
                when=full_date(starts_at),
            )
        if why == "closed" and starts_at is not None:
            return gettext(
                "La séance du %(when)s ne prend plus de réservations : décochez-la.",
                when=full_date(starts_at),
            )
        return gettext("Choisissez d’autres séances du même événement, encore ouvertes.")


class PartyHoldsOffer(DomainError):
    """A party waiting on several sessions holds one offer at a time."""

    code = "party_holds_offer"
    text = N_(
        "Ces personnes ont déjà une proposition de places en attente sur une autre séance : "
        "attendez leur réponse."
    )
