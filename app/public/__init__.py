"""Public area: the programme, session pages, booking and the booking's own page."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from ..services.programme import Availability, availability  # noqa: E402
from . import routes  # noqa: E402,F401  (routes attach themselves to bp)
from .labels import (  # noqa: E402
    availability_label,
    booking_status_label,
    difficulty_label,
    kind_label,
    kind_plural,
    meter_bounds,
    ordinal,
)

for _helper in (
    availability,
    availability_label,
    booking_status_label,
    difficulty_label,
    kind_label,
    kind_plural,
    meter_bounds,
    ordinal,
):
    bp.add_app_template_global(_helper)
bp.add_app_template_global(Availability, "Availability")
