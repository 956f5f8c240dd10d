"""The collection's gallery: what the public may see, and what organisers change.

Only specimens ``on_display`` exist for the public: hidden ones are absent from the grid,
the search, the session pages, and their own page and pictures answer 404.

Search is accent-blind and case-blind, like the attendee search: ``search_text`` holds a
folded copy of the inventory number, name, formula, locality, region, age and description,
kept up to date by ``save_specimen``. Every word typed must appear (« galene cevennes »).
"""

from .editing import (
    NewImage,
    SpecimenFields,
    add_image,
    image_row,
    remove_image,
    save_specimen,
    set_on_display,
)
from .reading import (
    IMAGE_SIZES,
    all_specimens,
    get_image,
    get_public,
    get_specimen,
    known_regions,
    public_image,
    public_regions,
    public_specimens,
    shown_by_event,
    staff_image,
    upcoming_sessions,
)
from .rules import (
    CATEGORY_CODES,
    INVENTORY_PATTERN,
    INVENTORY_PREFIX,
    EventNotFound,
    InvalidInventoryNumber,
    InventoryNumberTaken,
    SpecimenImageNotFound,
    SpecimenNotFound,
    is_valid_inventory_number,
    next_inventory_number,
    normalise_inventory_number,
    search_text_of,
)

__all__ = [
    "CATEGORY_CODES",
    "IMAGE_SIZES",
    "INVENTORY_PATTERN",
    "INVENTORY_PREFIX",
    "EventNotFound",
    "InvalidInventoryNumber",
    "InventoryNumberTaken",
    "NewImage",
    "SpecimenFields",
    "SpecimenImageNotFound",
    "SpecimenNotFound",
    "add_image",
    "all_specimens",
    "get_image",
    "get_public",
    "get_specimen",
    "image_row",
    "is_valid_inventory_number",
    "known_regions",
    "next_inventory_number",
    "normalise_inventory_number",
    "public_image",
    "public_regions",
    "public_specimens",
    "remove_image",
    "save_specimen",
    "search_text_of",
    "set_on_display",
    "shown_by_event",
    "staff_image",
    "upcoming_sessions",
]
