"""The gallery's filters, read from the query string."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, url_for
from werkzeug.datastructures import MultiDict

from ..models import SpecimenCategory

MAX_QUERY = 100


@dataclass(frozen=True)
class GalleryFilters:
    """What the visitor asked the grid for."""

    category: SpecimenCategory | None = None
    region: str = ""
    query: str = ""

    @classmethod
    def from_args(cls, args: MultiDict[str, str]) -> GalleryFilters:
        """Read ``?category=&region=&q=``; an unknown category is a 400, not "all"."""
        raw_category = args.get("category", "").strip()
        try:
            category = SpecimenCategory(raw_category) if raw_category else None
        except ValueError:
            abort(400)
        return cls(
            category=category,
            region=args.get("region", "").strip()[:MAX_QUERY],
            query=" ".join(args.get("q", "").split())[:MAX_QUERY],
        )

    @property
    def active(self) -> bool:
        """True when the grid shows less than the whole collection."""
        return bool(self.category or self.region or self.query)

    def url(self) -> str:
        """The gallery's address for these filters, without empty parameters."""
        params: dict[str, Any] = {
            "category": self.category.value if self.category else None,
            "region": self.region or None,
            "q": self.query or None,
        }
        return url_for("gallery.index", **{k: v for k, v in params.items() if v})
