"""Public area of the collection: the gallery, a specimen's page and its pictures."""

from flask import Blueprint

bp = Blueprint("gallery", __name__, url_prefix="/collection")

from . import routes  # noqa: E402,F401  (routes attach themselves to bp)
