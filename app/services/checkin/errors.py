"""What the door says when it says no: each refusal in a few declarative lines."""

from __future__ import annotations

from typing import Any

from ...i18n import clock, full_date, gettext, ngettext
from ...models import BookingStatus
from ..errors import N_, NP_, DomainError


class UnknownTicket(DomainError):
    """No booking has this ticket code."""

    code, status, field = "unknown_ticket", 404, "q"
    text = N_("Billet inconnu : vérifiez le code.")


class WrongSession(DomainError):
    """The ticket is for another session (or another day)."""

    code, field, positional = "wrong_session", "q", ("title", "starts_at")
    text = N_("Ce billet est pour une autre séance : « %(title)s », %(when)s.")

    def text_values(self) -> dict[str, Any]:
        """The event's title and the session's date."""
        return {"title": self.title, "when": full_date(self.starts_at)}


class AlreadyCheckedIn(DomainError):
    """Every seat of the party is already in: say when and by whom."""

    code, positional = "already_checked_in", ("at", "by", "seats")
    text = NP_(
        "Déjà entré : %(num)d place à %(time)s (par %(by)s).",
        "Déjà entrés : %(num)d places à %(time)s (par %(by)s).",
    )

    def text_values(self) -> dict[str, Any]:
        """How many seats are in, since when, by whom."""
        return {"num": self.seats, "time": clock(self.at), "by": self.by}


class NotAdmissible(DomainError):
    """The booking does not give entry (cancelled, still on the waiting list…).

    A waiting party is told from when it may wait at the door (``closes_at``, the close
    of booking: until then, freed seats are offered through the waiting list).
    """

    code, positional = "not_admissible", ("booking_status", "closes_at")

    def message(self) -> str:
        """Say why the booking gives no entry."""
        if self.booking_status is BookingStatus.WAITING and self.values.get("closes_at"):
            return gettext(
                "Cette personne est sur la liste d’attente, sans place confirmée. À la clôture "
                "des réservations (%(time)s), elle pourra attendre à l’entrée à son rang.",
                time=clock(self.closes_at),
            )
        if self.booking_status is BookingStatus.WAITING:
            return gettext("Cette personne est sur la liste d’attente, sans place confirmée.")
        if self.booking_status is BookingStatus.EXPIRED:
            return gettext("La proposition de places de ce billet a expiré.")
        return gettext("Ce billet a été annulé.")


class OfferToAcceptFirst(DomainError):
    """An offer that changes another booking of the party (a move, more seats)."""

    code = "offer_to_accept_first"
    text = N_(
        "Cette proposition de places modifie une autre réservation du groupe. Elle doit "
        "d’abord être acceptée sur la page de la réservation."
    )


class OnWaitingList(DomainError):
    """A waiting-list party at the door once booking has closed: it may join the queue."""

    code, positional = "on_waiting_list", ("booking_id", "rank")
    text = N_(
        "Sur la liste d’attente (rang %(num)d), sans place confirmée : ajoutez ce groupe à "
        "l’attente à l’entrée, il y passe avant les personnes sans réservation."
    )

    def text_values(self) -> dict[str, Any]:
        """The party's rank on the waiting list."""
        return {"num": self.rank}


class AlreadyOnStandby(DomainError):
    """The party already waits at the door."""

    code, positional = "already_on_standby", ("place",)
    text = N_("Ce groupe attend déjà à l’entrée : n° %(num)d de la file.")

    def text_values(self) -> dict[str, Any]:
        """Its place in the door's queue."""
        return {"num": self.place}


class NotOnWaitingList(DomainError):
    """Only a party of this session's waiting list joins the queue with its booking."""

    code = "not_on_waiting_list"
    text = N_(
        "Ce billet n’est pas sur la liste d’attente de cette séance : cherchez-le dans la liste."
    )


class NoSeatsAtDoor(DomainError):
    """Not enough free seats for this party."""

    code, field, positional = "no_seats_at_door", "seats", ("free",)

    def message(self) -> str:
        """Say how many seats are free."""
        if self.free == 0:
            return gettext("Plus aucune place libre.")
        return ngettext(
            "Il ne reste qu’une place libre.", "Il ne reste que %(num)d places libres.", self.free
        )


class BadSeatCount(DomainError):
    """A number of seats outside what the party (or the door) allows."""

    code, status, field, positional = "bad_seat_count", 422, "seats", ("maximum",)
    text = N_("Choisissez entre 1 et %(num)d places.")

    def text_values(self) -> dict[str, Any]:
        """The largest count allowed."""
        return {"num": self.maximum}


class ReleaseTooEarly(DomainError):
    """No-shows can only be released shortly before the start."""

    code, positional = "release_too_early", ("from_time",)
    text = N_("Trop tôt : les places des absents peuvent être libérées à partir de %(time)s.")

    def text_values(self) -> dict[str, Any]:
        """From when."""
        return {"time": clock(self.from_time)}


class NothingToUndo(DomainError):
    """That check-in was already undone."""

    code = "nothing_to_undo"
    text = N_("Cette entrée a déjà été annulée.")


class NonceReused(DomainError):
    """A tablet sent the nonce of an action already recorded with another action."""

    code = "nonce_reused"
    text = N_(
        "Cet identifiant d’action a déjà servi pour une autre action : rien n’a été enregistré. "
        "Rechargez la page et recommencez."
    )


class SessionCancelledAtDoor(DomainError):
    """A cancelled session lets nobody in."""

    code = "session_cancelled"
    text = N_("Cette séance est annulée : personne ne peut entrer.")


class StandbyFirst(DomainError):
    """People wait on the door's standby queue: a new party does not go in before them."""

    code, positional = "standby_first", ("waiting",)
    text = NP_(
        "%(num)d place est déjà demandée dans la file d’attente de la porte : ajoutez ce groupe à "
        "la file, il entrera à son tour.",
        "%(num)d places sont déjà demandées dans la file d’attente de la porte : ajoutez ce "
        "groupe à la file, il entrera à son tour.",
    )

    def text_values(self) -> dict[str, Any]:
        """The seats asked for on the door's queue."""
        return {"num": self.waiting}


class WaitingListFirst(DomainError):
    """Online booking is open and parties wait: free seats are theirs before the door's."""

    code = "waiting_list_first"
    text = N_(
        "Des personnes attendent sur la liste d’attente en ligne : les places libres leur sont "
        "proposées d’abord, jusqu’à la clôture des réservations. Ajoutez ce groupe à la file de la "
        "porte."
    )
