"""The HTTP answer for a specimen's picture, shared by the gallery and the dashboard.

The service (services/gallery.py) finds the rendition and says who may see it; this
module only turns it into a cacheable response.
"""

from __future__ import annotations

from flask import Response, request

from .services import gallery

YEAR = 365 * 24 * 3600


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
