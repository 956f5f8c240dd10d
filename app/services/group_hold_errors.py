"""What the rules of seats held for a group say when they say no (services/group_holds.py)."""

from __future__ import annotations

from .errors import N_, NP_, DomainError


class GroupCodeInvalid(DomainError):
    """No open hold of this session has that code.

    One message, one status for every case: a made-up code, the code of another session,
    a released or expired hold. A guesser learns nothing from the answer.
    """

    # Said above the form, whichever form the page shows (the public's may have none).
    code, status = "group_code_invalid", 404
    text = N_(
        "Ce code de groupe n’est pas valable pour cette séance (ou il a expiré). "
        "Vérifiez le lien reçu, ou demandez-en un nouveau aux organisateurs."
    )


class GroupSeatsExceeded(DomainError):
    """A group books 1 to the seats still held for it."""

    code, status, field = "group_seats_exceeded", 422, "seats"
    positional = ("num",)
    text = NP_(
        "Ce code permet de réserver %(num)d place au plus.",
        "Ce code permet de réserver %(num)d places au plus.",
    )


class GroupAdultsInvalid(DomainError):
    """The accompanying adults are among the party's seats."""

    code, status, field = "group_adults_invalid", 422, "adults"
    text = N_(
        "Le nombre d’adultes accompagnateurs doit être compris entre 0 et le nombre de places."
    )


class HoldSeatsInvalid(DomainError):
    """A hold takes at least one seat."""

    code, status, field = "hold_seats_invalid", 422, "seats"
    text = N_("Indiquez au moins une place à réserver pour le groupe.")


class HoldTooLarge(DomainError):
    """Held seats come out of the free seats: never more than are free."""

    code, status, field = "hold_too_large", 409, "seats"
    positional = ("num",)
    text = NP_(
        "Il ne reste que %(num)d place libre dans cette séance.",
        "Il ne reste que %(num)d places libres dans cette séance.",
    )


class HoldLabelMissing(DomainError):
    """A hold is named after its group."""

    code, status, field = "hold_label_missing", 422, "label"
    text = N_("Indiquez le nom du groupe (classe, association…), 120 caractères au plus.")


class HoldReleaseInvalid(DomainError):
    """The release time lies between now and the session's start."""

    code, status, field = "hold_release_invalid", 422, "release_at"
    text = N_(
        "La libération doit avoir lieu après maintenant et au plus tard au début de la séance."
    )


class HoldNotOpen(DomainError):
    """The session cannot take a hold: it is cancelled, started or over."""

    code, status = "hold_not_open", 409
    text = N_(
        "Cette séance est annulée ou a commencé : on ne peut plus y réserver de places pour un groupe."
    )


class HoldNotFound(DomainError):
    """No hold with that id."""

    code, status = "hold_not_found", 404
    text = N_("Ce bloc de places n’existe pas.")


class HoldAlreadyReleased(DomainError):
    """A hold is released once."""

    code, status = "hold_already_released", 409
    text = N_("Ces places ont déjà été rendues au public.")
