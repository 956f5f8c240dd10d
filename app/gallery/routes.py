"""URL rules of the collection's public pages, all in one place.

The grid answers htmx with the ``_grid.html`` fragment only (and the result count,
out of band); a plain request gets the whole page, so every filter works without JavaScript.
The fragment's ``HX-Push-Url`` header puts the filters' clean address (no empty parameters)
in the address bar; the form itself has no ``data-hx-push-url``, which would push the raw one.
"""

from __future__ import annotations

import re
from itertools import cycle

from flask import Response, make_response, redirect, render_template, request, url_for
from markupsafe import Markup, escape

from ..htmx import is_htmx_request
from ..models import SpecimenCategory, SpecimenImage
from ..public.routes import live_etag
from ..services import gallery
from . import bp
from .forms import GalleryFilters

YEAR = 365 * 24 * 3600
# A run of digits right after an element symbol or a closing bracket is an index: FeS2.
FORMULA_INDEX = re.compile(r"(?<=[A-Za-z)\]])(\d+)")


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
    sessions = gallery.upcoming_sessions(found)
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


def picture_response(image_id: int, digest: str, size: str, *, public: bool) -> Response:
    """The WebP bytes of one rendition, cacheable (for a year when ``public``); one query.

    The URL holds the digest of the pixels, so the ETag is known before the database is
    asked: when the browser already has it, the picture is only checked to still exist
    (and, for the public, to be on display), its bytes are not read, and the answer is 304.
    ``public=False`` is the dashboard's (hidden specimens included, cached privately).
    """
    etag = f"{digest}-{size}"
    fresh = request.if_none_match.contains_weak(etag)
    find = gallery.public_image if public else gallery.staff_image
    picture = find(image_id, digest, None if fresh else size)
    if fresh:
        response = Response(status=304)
    else:
        response = Response(getattr(picture, size), mimetype="image/webp")
    response.set_etag(etag)
    response.headers["Cache-Control"] = (
        f"public, max-age={YEAR}, immutable" if public else "private, max-age=3600"
    )
    return response


@bp.app_template_global()
def specimen_image_url(picture: SpecimenImage, size: str) -> str:
    """The public address of a picture's rendition."""
    return url_for("gallery.image", image_id=picture.id, digest=picture.digest, size=size)


@bp.app_template_filter("formula")
def formula_filter(text: str) -> Markup:
    """A chemical formula with its indices as subscripts: FeS2 → FeS<sub>2</sub>."""
    parts = FORMULA_INDEX.split(text)  # text, digits, text, digits…
    return Markup("").join(
        Markup("<sub>{}</sub>").format(part) if odd else escape(part)
        for odd, part in zip(cycle((False, True)), parts, strict=False)
    )
