"""Reading the gallery: what the public may see, and everything for organisers.

Only specimens ``on_display`` exist for the public: hidden ones are absent from the grid,
the search, the session pages, and their own page and pictures answer 404. Search is
accent-blind and case-blind: every word typed must appear in ``search_text``.
"""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload, selectinload, undefer

from ...extensions import db
from ...models import EventSession, Specimen, SpecimenCategory, SpecimenImage
from ..attendees import fold
from ..programme import list_sessions
from .rules import SpecimenImageNotFound, SpecimenNotFound

# The renditions a URL may ask for (the kept original is never served).
IMAGE_SIZES = ("thumb", "large")


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
