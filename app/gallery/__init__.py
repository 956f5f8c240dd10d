"""Public area of the collection: the gallery, a specimen's page and its pictures."""

from flask import Blueprint

bp = Blueprint("gallery", __name__, url_prefix="/collection")


from . import routes  # noqa: E402,F401  (routes attach themselves to bp)
from .forms import category_label, category_plural  # noqa: E402

for _helper in (category_label, category_plural):
    bp.add_app_template_global(_helper)
