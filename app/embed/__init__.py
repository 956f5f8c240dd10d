"""The widget for other sites: light programme pages under /embed/, made to be framed.

Only the sites listed in ``EMBED_ORIGINS`` may frame them (app/security.py). They show the
live seat counts with the programme's own poll, and every link opens at the top level,
so booking happens on our site, in the visitor's own first-party session: no cookie is
needed inside the frame. ``/embed/host.js`` is the host page's script that sizes the
frame to its content.
"""

from flask import Blueprint

bp = Blueprint("embed", __name__, url_prefix="/embed")

from . import views  # noqa: E402,F401  (views attach to bp)
