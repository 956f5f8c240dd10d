"""Public area: the programme, session pages, booking and the booking's own page.

One blueprint, its views in one module per subject: programme.py (the programme and its
live counts), session_page.py (a session and its booking panel), booking_pages.py (the
pages behind a booking's token), plan_pages.py (changes of plans under that token: move,
party size, « Je ne peux pas venir »), site.py (language switch, privacy page).
"""

from flask import Blueprint

bp = Blueprint("public", __name__)

from . import (  # noqa: E402,F401  (views attach to bp)
    booking_pages,
    feed,
    plan_pages,
    programme,
    session_page,
    site,
)
