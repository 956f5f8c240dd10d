"""Check-in at the door, on a tablet: door staff (and organisers) only."""

from flask import Blueprint

from ..auth.guard import guard_blueprint
from ..models import Role

bp = Blueprint("checkin", __name__, url_prefix="/checkin")
guard_blueprint(bp, Role.CHECKIN, Role.ORGANISER)

from . import offline, routes  # noqa: E402,F401
