"""A bare route for bench/: the baseline the live poll is compared against.

Mounted only when ``BENCH_ROUTES`` is on; it does no database work on purpose.
"""

from flask import Blueprint

bp = Blueprint("bench", __name__)


@bp.get("/bench/hello")
def hello() -> str:
    """Answer a constant string."""
    return "hello"
