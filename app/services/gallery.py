"""The collection's gallery: what the public may see, and what organisers change.

Only specimens ``on_display`` exist for the public: hidden ones are absent from the grid,
the search, the session pages, and their own page and pictures answer 404.

Search is accent-blind and case-blind, like the attendee search: ``search_text`` holds a
folded copy of the inventory number, name, formula, locality, region, age and description,
kept up to date by ``save_specimen``. Every word typed must appear (« galene cevennes »).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload, undefer

from ..database import begin_write
from ..extensions import db
from ..i18n import gettext
from ..models import Event, EventSession, Specimen, SpecimenCategory, SpecimenImage
from . import ledger
from .attendees import fold
from .audit import audit
from .errors import DomainError
from .images import PreparedImage
from .programme import list_sessions

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
# The renditions a URL may ask for (the kept original is never served).
IMAGE_SIZES = ("thumb", "large")


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

    def message(self) -> str:
        """Explain in the current language (the same words as the form's check)."""
        return gettext("Lettres, chiffres et tirets seulement, par exemple MA-MIN-0012.")


class InventoryNumberTaken(DomainError):
    """Inventory numbers are unique."""

    code = "inventory_number_taken"
    status = 409

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


# Reading, for the public


def _with_pictures(stmt: Select[tuple[Specimen]]) -> Select[tuple[Specimen]]:
    """Load the pictures' sizes and alt texts (not their bytes) with the specimens."""
    return stmt.options(selectinload(Specimen.images))


def public_specimens(
    category: SpecimenCategory | None = None, region: str = "", query: str = ""
) -> list[Specimen]:
    """Specimens on display, by name, filtered by category, region and search words."""
    stmt = select(Specimen).where(Specimen.on_display.is_(True))
    if category is not None:
        stmt = stmt.where(Specimen.category == category)
    if region:
        stmt = stmt.where(Specimen.region == region)
    for word in fold(query).split()[:8]:
        stmt = stmt.where(Specimen.search_text.contains(word, autoescape=True))
    specimens = db.session.scalars(_with_pictures(stmt)).all()
    return sorted(specimens, key=lambda s: (fold(s.name), s.inventory_number))


def public_regions() -> list[str]:
    """The regions of the specimens on display, in alphabetical order (accent-blind)."""
    regions = db.session.scalars(
        select(Specimen.region)
        .where(Specimen.on_display.is_(True), Specimen.region != "")
        .distinct()
    ).all()
    return sorted(regions, key=fold)


def get_public(inventory_number: str) -> Specimen:
    """A specimen on display, by inventory number, or ``SpecimenNotFound``."""
    specimen = db.session.scalar(
        _with_pictures(
            select(Specimen).where(
                Specimen.inventory_number == inventory_number, Specimen.on_display.is_(True)
            )
        )
    )
    if specimen is None:
        raise SpecimenNotFound(inventory_number)
    return specimen


def shown_by_event(event_id: int) -> list[Specimen]:
    """The specimens on display that an event (an exhibition) shows, by name.

    One query, pictures (without their bytes) joined: the session page asks for this while
    it renders, on every visit and every refused booking.
    """
    specimens = (
        db.session.scalars(
            select(Specimen)
            .where(Specimen.event_id == event_id, Specimen.on_display.is_(True))
            .options(joinedload(Specimen.images))
        )
        .unique()
        .all()
    )
    return sorted(specimens, key=lambda s: (fold(s.name), s.inventory_number))


def upcoming_sessions(specimen: Specimen) -> list[EventSession]:
    """The sessions, not cancelled and not started, where the specimen can be seen."""
    if specimen.event_id is None:
        return []
    return list_sessions(event_id=specimen.event_id, upcoming=True)


def public_image(image_id: int, digest: str, size: str | None = None) -> SpecimenImage:
    """A picture of a specimen on display, if ``digest`` is its current one (one query).

    ``size`` ("thumb" or "large"): load those bytes with it; ``None``: no bytes at all
    (enough to answer a conditional request).
    """
    return _find_image(image_id, digest, size, public=True)


def _find_image(image_id: int, digest: str, size: str | None, *, public: bool) -> SpecimenImage:
    """A picture by id and current digest in one query, with at most one rendition's bytes."""
    if size is not None and size not in IMAGE_SIZES:
        raise SpecimenImageNotFound(image_id)
    stmt = select(SpecimenImage).where(SpecimenImage.id == image_id, SpecimenImage.digest == digest)
    if public:
        stmt = stmt.join(SpecimenImage.specimen).where(Specimen.on_display.is_(True))
    if size is not None:
        stmt = stmt.options(undefer(getattr(SpecimenImage, size)))
    image = db.session.scalar(stmt)
    if image is None:
        raise SpecimenImageNotFound(image_id)
    return image


# Reading, for organisers


def all_specimens() -> list[Specimen]:
    """Every specimen, hidden ones included, by inventory number, pictures and events loaded."""
    return list(
        db.session.scalars(
            _with_pictures(select(Specimen).order_by(Specimen.inventory_number)).options(
                selectinload(Specimen.event)
            )
        )
    )


def get_specimen(specimen_id: int) -> Specimen:
    """Any specimen by id, hidden or not."""
    specimen = db.session.get(Specimen, specimen_id)
    if specimen is None:
        raise SpecimenNotFound(specimen_id)
    return specimen


def staff_image(image_id: int, digest: str, size: str | None = None) -> SpecimenImage:
    """Any picture (hidden specimens' too) if ``digest`` is its current one; see public_image."""
    return _find_image(image_id, digest, size, public=False)


def get_image(image_id: int) -> SpecimenImage:
    """Any picture by id."""
    image = db.session.get(SpecimenImage, image_id)
    if image is None:
        raise SpecimenImageNotFound(image_id)
    return image


def known_regions() -> list[str]:
    """Every region already used, for the form's suggestions."""
    regions = db.session.scalars(
        select(Specimen.region).where(Specimen.region != "").distinct()
    ).all()
    return sorted(regions, key=fold)


# Changing


@dataclass(frozen=True)
class SpecimenFields:
    """What an organiser sets on a specimen."""

    name: str
    category: SpecimenCategory
    formula: str = ""
    locality: str = ""
    region: str = ""
    age: str = ""
    description: str = ""
    on_display: bool = True
    event_id: int | None = None


@dataclass(frozen=True)
class NewImage:
    """A checked picture and its alternative text."""

    prepared: PreparedImage
    alt_text: str


def save_specimen(
    fields: SpecimenFields,
    *,
    actor: str,
    specimen_id: int | None = None,
    inventory_number: str = "",
    image: NewImage | None = None,
) -> Specimen:
    """Create a specimen (with a first picture, if given), or update one.

    A new specimen without an inventory number gets the next one of its category. The
    number of an existing specimen never changes: it is the address of its page.
    """
    if inventory_number and not is_valid_inventory_number(inventory_number):
        raise InvalidInventoryNumber(inventory_number)
    begin_write()
    if fields.event_id is not None and db.session.get(Event, fields.event_id) is None:
        raise EventNotFound(fields.event_id)
    if specimen_id is None:
        number = inventory_number or next_inventory_number(fields.category)
        if db.session.scalar(select(Specimen.id).where(Specimen.inventory_number == number)):
            raise InventoryNumberTaken(number)
        specimen = Specimen(inventory_number=number, name=fields.name, category=fields.category)
        db.session.add(specimen)
    else:
        specimen = get_specimen(specimen_id)
    for name, value in fields.__dict__.items():
        setattr(specimen, name, value)
    specimen.search_text = search_text_of(specimen)
    try:
        with db.session.begin_nested():  # a number taken meanwhile: refuse, keep the session
            db.session.flush()
    except IntegrityError:
        raise InventoryNumberTaken(specimen.inventory_number) from None
    if image is not None:
        _add_image(specimen, image)
    ledger.bump_change_counter()  # session pages list the specimens they show
    audit(
        "specimen.created" if specimen_id is None else "specimen.saved",
        actor,
        specimen_id=specimen.id,
        inventory_number=specimen.inventory_number,
    )
    return specimen


def set_on_display(specimen_id: int, on_display: bool, *, actor: str) -> Specimen:
    """Show or hide a specimen on the public pages."""
    begin_write()
    specimen = get_specimen(specimen_id)
    if specimen.on_display != on_display:
        specimen.on_display = on_display
        ledger.bump_change_counter()
        audit(
            "specimen.shown" if on_display else "specimen.hidden",
            actor,
            specimen_id=specimen.id,
            inventory_number=specimen.inventory_number,
        )
    return specimen


def add_image(specimen_id: int, image: NewImage, *, actor: str) -> SpecimenImage:
    """Add a checked picture to a specimen, after its others."""
    begin_write()
    specimen = get_specimen(specimen_id)
    row = _add_image(specimen, image)
    ledger.bump_change_counter()
    audit(
        "specimen.image_added",
        actor,
        specimen_id=specimen.id,
        inventory_number=specimen.inventory_number,
        image_id=row.id,
    )
    return row


def _add_image(specimen: Specimen, image: NewImage) -> SpecimenImage:
    """Store the renditions of a picture (the caller has begun writing)."""
    position = max((other.position for other in specimen.images), default=-1) + 1
    row = image_row(image, position)
    specimen.images.append(row)
    db.session.flush()
    return row


def image_row(image: NewImage, position: int = 0) -> SpecimenImage:
    """A new picture row holding the renditions of ``image``."""
    prepared = image.prepared
    return SpecimenImage(
        position=position,
        alt_text=image.alt_text,
        digest=prepared.digest,
        width=prepared.original.width,
        height=prepared.original.height,
        thumb_width=prepared.thumb.width,
        thumb_height=prepared.thumb.height,
        large_width=prepared.large.width,
        large_height=prepared.large.height,
        thumb=prepared.thumb.data,
        large=prepared.large.data,
        original=prepared.original.data,
    )


def remove_image(image_id: int, *, actor: str) -> Specimen:
    """Delete a picture; returns its specimen."""
    begin_write()
    image = get_image(image_id)
    specimen = image.specimen
    db.session.delete(image)
    db.session.flush()
    db.session.expire(specimen, ["images"])
    ledger.bump_change_counter()
    audit(
        "specimen.image_removed",
        actor,
        specimen_id=specimen.id,
        inventory_number=specimen.inventory_number,
        image_id=image_id,
    )
    return specimen
