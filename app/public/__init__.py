"""Public area: the programme, session pages, booking and the booking's own page.

One blueprint, its views in one module per subject: programme.py (the programme and its
live counts), session_page.py (a session and its booking panel), booking_pages.py (the
pages behind a booking's token), site.py (language switch, privacy page).
"""

from flask import Blueprint

bp = Blueprint("public", __name__)

from . import booking_pages, feed, programme, session_page, site  # noqa: E402,F401  (views attach to bp)
