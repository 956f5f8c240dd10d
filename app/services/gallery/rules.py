"""The gallery's rules: inventory numbers, the folded search text, and the refusals.

Inventory numbers read « MA-MIN-0012 » (collection, category, serial) and are the address
of a specimen's page, so they are checked here and never change once given.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from ...extensions import db
from ...i18n import gettext
from ...models import Specimen, SpecimenCategory
from ..attendees import fold
from ..errors import DomainError

INVENTORY_PREFIX = "MA"
CATEGORY_CODES = {
    SpecimenCategory.MINERAL: "MIN",
    SpecimenCategory.ORE: "MNR",  # minerai
    SpecimenCategory.ROCK: "ROC",
    SpecimenCategory.FOSSIL: "FOS",
}
# « MA-MIN-0012 », or any number the collection already uses: letters, digits and single
# dashes only, as the number is a segment of its page's URL (a "/" would make it unreachable).
INVENTORY_PATTERN = re.compile(r"^[A-Z0-9]+(?:-[A-Z0-9]+)*$")


class SpecimenNotFound(DomainError):
    """No specimen with that inventory number (or id), or not on display."""

    code = "specimen_not_found"
    status = 404

    def message(self) -> str:
        """Explain in the current language."""
        return gettext("Ce spécimen n’existe pas ou n’est pas présenté en ce moment.")


class SpecimenImageNotFound(DomainError):
    """No such picture."""

    code = "specimen_image_not_found"
    status = 404

    def message(self) -> str:
        """Explain in the current language."""
        return gettext("Cette image n’existe pas.")


class InvalidInventoryNumber(DomainError):
    """An inventory number that could not be the address of the specimen's page."""

    code = "invalid_inventory_number"
    status = 422
    field = "inventory_number"

    def message(self) -> str:
        """Explain in the current language (the same words as the form's check)."""
        return gettext("Lettres, chiffres et tirets seulement, par exemple MA-MIN-0012.")


class InventoryNumberTaken(DomainError):
    """Inventory numbers are unique."""

    code = "inventory_number_taken"
    status = 409
    field = "inventory_number"

    def __init__(self, number: str) -> None:
        super().__init__(number)
        self.number = number

    def message(self) -> str:
        """Explain in the current language."""
        return gettext(
            "Le numéro d’inventaire %(number)s est déjà utilisé par un autre spécimen.",
            number=self.number,
        )


class EventNotFound(DomainError):
    """A specimen can only be shown by an existing event."""

    code = "event_not_found"
    status = 404
    field = "event_id"

    def message(self) -> str:
        """Explain in the current language."""
        return gettext("Cet événement n’existe pas.")


def normalise_inventory_number(raw: str) -> str:
    """Upper-case, without surrounding spaces: « ma-min-0012 » is « MA-MIN-0012 »."""
    return raw.strip().upper()


def is_valid_inventory_number(number: str) -> bool:
    """Letters, digits and single dashes, 20 characters at most."""
    return len(number) <= 20 and bool(INVENTORY_PATTERN.match(number))


def next_inventory_number(category: SpecimenCategory) -> str:
    """The next free number of a category: « MA-MIN-0013 » after « MA-MIN-0012 »."""
    prefix = f"{INVENTORY_PREFIX}-{CATEGORY_CODES[category]}-"
    numbers = db.session.scalars(
        select(Specimen.inventory_number).where(
            Specimen.inventory_number.startswith(prefix, autoescape=True)
        )
    ).all()
    used = [int(n[len(prefix) :]) for n in numbers if n[len(prefix) :].isdigit()]
    return f"{prefix}{max(used, default=0) + 1:04d}"


def search_text_of(specimen: Specimen) -> str:
    """The folded text the search looks into."""
    parts = (
        specimen.inventory_number,
        specimen.name,
        specimen.formula,
        specimen.locality,
        specimen.region,
        specimen.age,
        specimen.description,
    )
    return fold(" ".join(part for part in parts if part))
