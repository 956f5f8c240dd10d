"""Changing the gallery: organisers save specimens, show or hide them, add and remove pictures.

Every change bumps the change counter (session pages list the specimens they show) and
leaves an entry in the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ...database import writes, writing
from ...extensions import db
from ...models import Event, Specimen, SpecimenCategory, SpecimenImage
from ..audit import audit
from ..images import PreparedImage
from .reading import get_image, get_specimen
from .rules import (
    EventNotFound,
    InvalidInventoryNumber,
    InventoryNumberTaken,
    is_valid_inventory_number,
    next_inventory_number,
    search_text_of,
)


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
    with writing():
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
        audit(
            "specimen.created" if specimen_id is None else "specimen.saved",
            actor,
            specimen_id=specimen.id,
            inventory_number=specimen.inventory_number,
        )
        return specimen


@writes
def set_on_display(specimen_id: int, on_display: bool, *, actor: str) -> Specimen:
    """Show or hide a specimen on the public pages."""
    specimen = get_specimen(specimen_id)
    if specimen.on_display != on_display:
        specimen.on_display = on_display
        audit(
            "specimen.shown" if on_display else "specimen.hidden",
            actor,
            specimen_id=specimen.id,
            inventory_number=specimen.inventory_number,
        )
    return specimen


@writes
def add_image(specimen_id: int, image: NewImage, *, actor: str) -> SpecimenImage:
    """Add a checked picture to a specimen, after its others."""
    specimen = get_specimen(specimen_id)
    row = _add_image(specimen, image)
    audit(
        "specimen.image_added",
        actor,
        specimen_id=specimen.id,
        inventory_number=specimen.inventory_number,
        image_id=row.id,
    )
    return row


def _add_image(specimen: Specimen, image: NewImage) -> SpecimenImage:
    """Store the renditions of a picture (inside the caller's unit of work)."""
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


@writes
def remove_image(image_id: int, *, actor: str) -> Specimen:
    """Delete a picture; returns its specimen."""
    image = get_image(image_id)
    specimen = image.specimen
    db.session.delete(image)
    db.session.flush()
    db.session.expire(specimen, ["images"])
    audit(
        "specimen.image_removed",
        actor,
        specimen_id=specimen.id,
        inventory_number=specimen.inventory_number,
        image_id=image_id,
    )
    return specimen
