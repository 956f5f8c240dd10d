"""Public area of the collection: the gallery, a specimen's page and its pictures."""

from flask import Blueprint
from flask.blueprints import BlueprintSetupState

from ..config import env_int
from ..services.images import DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS

bp = Blueprint("gallery", __name__, url_prefix="/collection")


@bp.record_once
def _settings(state: BlueprintSetupState) -> None:
    """Upload limits, from the environment unless ``create_app(config)`` gave them."""
    config = state.app.config
    config.setdefault(
        "SPECIMEN_IMAGE_MAX_BYTES", env_int("SPECIMEN_IMAGE_MAX_BYTES", DEFAULT_MAX_BYTES)
    )
    config.setdefault(
        "SPECIMEN_IMAGE_MAX_PIXELS", env_int("SPECIMEN_IMAGE_MAX_PIXELS", DEFAULT_MAX_PIXELS)
    )


from . import routes  # noqa: E402,F401  (routes attach themselves to bp)
from .forms import category_label, category_plural  # noqa: E402

for _helper in (category_label, category_plural):
    bp.add_app_template_global(_helper)
