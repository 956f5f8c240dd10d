"""The geology collection: specimens and their pictures.

A specimen belongs to (at most) one event, the exhibition that shows it; every session of
that event lists it. Pictures are stored in the database as resized WebP renditions (see
``app/services/images.py`` for why), in columns that are only loaded when a picture is served.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from ..timeutil import utcnow
from .programme import Event
from .types import UTCDateTime, enum_column


class SpecimenCategory(enum.StrEnum):
    """What a specimen is; drives the filter and the inventory number's middle part."""

    MINERAL = "mineral"
    ORE = "ore"
    ROCK = "rock"
    FOSSIL = "fossil"


class Specimen(Model):
    """One item of the collection, known by its inventory number (« MA-MIN-0012 »)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    # Public key of the specimen: its URL is /collection/<inventory_number>.
    inventory_number: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[SpecimenCategory] = mapped_column(enum_column(SpecimenCategory))
    # Chemical formula, for minerals and ores (« PbS »); empty for rocks and fossils.
    formula: Mapped[str] = mapped_column(String(100), default="")
    locality: Mapped[str] = mapped_column(String(200), default="")
    region: Mapped[str] = mapped_column(String(100), default="")
    # Geological age where known (« Jurassique moyen (Bajocien) »).
    age: Mapped[str] = mapped_column(String(120), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    # Hidden specimens (False) appear nowhere on the public side.
    on_display: Mapped[bool] = mapped_column(default=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id"), index=True, default=None)
    # Lower-case, accent-free copy of the searchable fields (services/gallery.py keeps it).
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    event: Mapped[Event | None] = relationship()
    images: Mapped[list[SpecimenImage]] = relationship(
        back_populates="specimen", order_by="SpecimenImage.position, SpecimenImage.id"
    )

    @property
    def cover(self) -> SpecimenImage | None:
        """The picture shown on the card: the first one."""
        return self.images[0] if self.images else None


class SpecimenImage(Model):
    """A picture of a specimen: a thumbnail, a large view and the cleaned original.

    The three renditions are WebP without any metadata. ``digest`` changes with the
    pixels, so the picture's URL can be cached for a year.
    """

    __tablename__ = "specimen_image"
    __table_args__ = (CheckConstraint("alt_text <> ''", name="alt_text_required"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    specimen_id: Mapped[int] = mapped_column(ForeignKey("specimen.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    alt_text: Mapped[str] = mapped_column(String(300))
    digest: Mapped[str] = mapped_column(String(16))
    width: Mapped[int]
    height: Mapped[int]
    thumb_width: Mapped[int]
    thumb_height: Mapped[int]
    large_width: Mapped[int]
    large_height: Mapped[int]
    # The bytes: deferred, so listing specimens never reads them.
    thumb: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    large: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    original: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    specimen: Mapped[Specimen] = relationship(back_populates="images")
