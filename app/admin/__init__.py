"""The organisers' dashboard: events, sessions, capacities, attendees, waiting lists."""

from flask import Blueprint

from ..auth.guard import guard_blueprint
from ..models import Role

bp = Blueprint("admin", __name__, url_prefix="/admin")
guard_blueprint(bp, Role.ORGANISER)

from . import routes  # noqa: E402,F401
