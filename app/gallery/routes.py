"""URL rules of the collection's public pages, all in one place.

The grid answers htmx with the ``_grid.html`` fragment only (and the result count,
out of band); a plain request gets the whole page, so every filter works without JavaScript.
The fragment's ``HX-Push-Url`` header puts the filters' clean address (no empty parameters)
in the address bar; the form itself has no ``data-hx-push-url``, which would push the raw one.
"""

from __future__ import annotations

from flask import make_response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ..htmx import is_htmx_request
from ..live import live_etag
from ..models import SpecimenCategory
from ..pictures import picture_response
from ..services import gallery, seat_reads
from . import bp
from .forms import GalleryFilters


@bp.get("/")
def index() -> Response:
    """The grid of specimens on display, filtered by category, region and search words."""
    filters = GalleryFilters.from_args(request.args)
    specimens = gallery.public_specimens(filters.category, filters.region, filters.query)
    if is_htmx_request():  # a keystroke: the grid only, the filters' choices stay as they are
        response = make_response(
            render_template("gallery/_grid.html", specimens=specimens, filters=filters, oob=True)
        )
        response.headers["HX-Push-Url"] = filters.url()
    else:
        response = make_response(
            render_template(
                "gallery/index.html",
                specimens=specimens,
                filters=filters,
                categories=list(SpecimenCategory),
                regions=gallery.public_regions(),
            )
        )
    response.vary.add("HX-Request")  # one URL, two answers: caches must keep them apart
    return response


@bp.get("/<inventory_number>")
def specimen(inventory_number: str) -> Response | str:
    """A specimen's page: every field, its pictures, and the sessions where it is shown."""
    number = gallery.normalise_inventory_number(inventory_number)
    if number != inventory_number and gallery.is_valid_inventory_number(number):
        return redirect(url_for(".specimen", inventory_number=number), code=301)
    found = gallery.get_public(number)
    sessions = seat_reads.upcoming_sessions(found)
    return render_template(
        "gallery/specimen.html",
        specimen=found,
        sessions=sessions,
        # the sessions' seat badges are kept fresh by the same poll as the session page's
        live_etag=live_etag(None, found.event_id, upcoming=True) if sessions else "",
    )


@bp.get("/images/<int:image_id>/<digest>/<any(thumb, large):size>.webp")
def image(image_id: int, digest: str, size: str) -> Response:
    """A picture of a specimen on display; its address changes with its pixels."""
    return picture_response(image_id, digest, size, public=True)
