"""What the bad day's rules say when they say no: the scope, and the move after it."""

from __future__ import annotations

from typing import Any

from ..i18n import full_date, gettext
from .errors import N_, NP_, DomainError


class ScopeMissing(DomainError):
    """A day, an event or both: cancelling « everything » is not a choice."""

    code, status, field = "scope_missing", 422, "day"
    text = N_("Choisissez une journée, une activité, ou les deux.")


class DayInvalid(DomainError):
    """The day is not a date."""

    code, status, field = "day_invalid", 422, "day"
    text = N_("Indiquez le jour sous la forme AAAA-MM-JJ, par exemple 2026-05-21.")


class EventNotFound(DomainError):
    """The event chosen does not exist (any more)."""

    code, status, field = "event_not_found", 404, "event_id"
    text = N_("Cette activité n’existe pas.")


class NothingToCancel(DomainError):
    """No session of the chosen scope is still to come."""

    code, status = "nothing_to_cancel", 409
    text = N_("Aucune séance à venir dans ce choix : il n’y a rien à annuler.")


class PreviewOutdated(DomainError):
    """The sessions of the scope changed between the preview and the confirmation."""

    code, status = "preview_outdated", 409
    text = N_(
        "Les séances concernées ont changé depuis l’aperçu : "
        "vérifiez le nouvel aperçu avant de confirmer."
    )


class NotRebookable(DomainError):
    """Only a booking ended by its session's cancellation is moved by the mail's link."""

    code, status = "not_rebookable", 409
    text = N_(
        "Cette réservation ne peut pas être reportée par ce lien : "
        "elle n’a pas été annulée avec sa séance."
    )


class RebookedElsewhere(DomainError):
    """The link was used already, for another session: the booking stands there."""

    code, status, positional = "rebooked_elsewhere", 409, ("when",)
    text = N_(
        "Votre réservation est déjà reportée au %(when)s. "
        "Pour changer encore de séance, utilisez votre réservation."
    )

    def text_values(self) -> dict[str, Any]:
        """The date as people read it."""
        return {"when": full_date(self.when)}


class RebookFull(DomainError):
    """The session chosen filled up between the mail and the click."""

    code, positional = "rebook_full", ("seats_left", "seats_wanted")
    text = NP_(
        "Cette séance s’est remplie entre-temps : il ne reste qu’une place, "
        "pour un groupe de %(seats)d. Choisissez une autre séance.",
        "Cette séance s’est remplie entre-temps : il ne reste que %(num)d places, "
        "pour un groupe de %(seats)d. Choisissez une autre séance.",
    )

    def message(self) -> str:
        """How many seats are left there, against the party."""
        if self.seats_left <= 0:
            return gettext(
                "Cette séance s’est remplie entre-temps : il n’y reste plus de place. "
                "Choisissez une autre séance."
            )
        return super().message()

    def text_values(self) -> dict[str, Any]:
        """``num`` picks the plural; ``seats`` is the party."""
        return {"num": self.seats_left, "seats": self.seats_wanted}
