"""The collection's pictures: served with their caching, refused uploads, changed URLs.

Everything runs on both databases through the ``app`` fixture. Pictures are made with
Pillow (``gallery_helpers``); the refused ones are crafted to look like something else.
"""

from __future__ import annotations

import io
import random
import re

import pytest
from PIL import Image
from sqlalchemy import select

from app.extensions import db
from app.models import Specimen, SpecimenCategory, SpecimenImage

from .gallery_helpers import (
    add_specimen,
    bytes_read,
    counts,
    csrf,
    new_specimen_form,
    picture_bytes,
    png_declaring,
    specimen_audit,
    statements,
)

# Pictures as served


def test_pictures_are_webp_with_their_size_a_year_of_cache_and_an_etag(app, client, collection):
    html = client.get("/collection/").get_data(as_text=True)
    thumb_url = re.search(r'src="(/collection/images/[^"]+/thumb\.webp)"', html).group(1)
    response = client.get(thumb_url)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/webp"
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert "immutable" in response.headers["Cache-Control"]
    assert "public" in response.headers["Cache-Control"]
    with Image.open(io.BytesIO(response.data)) as served:
        assert served.format == "WEBP" and served.size == (480, 360)
    etag = response.headers["ETag"]
    with statements(app) as seen:
        again = client.get(thumb_url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag and "immutable" in again.headers["Cache-Control"]
    # one query, which checks the picture is still there and on display, without its bytes
    (query,) = [s for s in seen if "specimen_image" in s]
    assert "JOIN specimen" in query and bytes_read(query) == set()
    with statements(app) as seen:
        assert client.get(thumb_url).status_code == 200
    (query,) = [s for s in seen if "specimen_image" in s]
    assert bytes_read(query) == {"thumb"}  # the rendition asked for, and no other
    wrong_digest = re.sub(r"/images/(\d+)/[0-9a-f]+/", r"/images/\1/0000000000000000/", thumb_url)
    assert client.get(wrong_digest).status_code == 404
    assert client.get(thumb_url.replace("thumb.webp", "original.webp")).status_code == 404


# Pictures refused


REFUSALS = [
    pytest.param(
        lambda: (io.BytesIO(b"Ceci n'est pas une image."), "notes.txt"),
        422,
        "n’est pas une image JPEG, PNG ou WebP",
        id="not-an-image",
    ),
    pytest.param(
        lambda: (io.BytesIO(picture_bytes("GIF")), "photo.jpg", "image/jpeg"),
        422,
        "n’est pas une image JPEG, PNG ou WebP",
        id="gif-named-jpg",
    ),
    pytest.param(
        lambda: (
            io.BytesIO(b'<svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>'),
            "photo.png",
            "image/png",
        ),
        422,
        "n’est pas une image JPEG, PNG ou WebP",
        id="svg-named-png",
    ),
    pytest.param(
        lambda: (io.BytesIO(picture_bytes("JPEG", (400, 300))[:300]), "cut.jpg"),
        422,
        "n’est pas une image JPEG, PNG ou WebP",
        id="truncated-jpeg",
    ),
    pytest.param(
        lambda: (io.BytesIO(png_declaring(30_000, 30_000)), "bomb.png"),
        422,
        "trop de pixels",
        id="decompression-bomb",
    ),
    pytest.param(
        lambda: (io.BytesIO(png_declaring(9_000, 9_000, pixel_rows=4)), "huge.png"),
        422,
        "trop de pixels",
        id="too-many-pixels",
    ),
]


@pytest.mark.parametrize(("upload", "status", "message"), REFUSALS)
def test_a_refused_picture_stores_nothing_and_says_why_next_to_the_field(
    app, organiser, upload, status, message
):
    response = organiser.post(
        "/admin/specimens/new", data=new_specimen_form(organiser, image=upload())
    )
    assert response.status_code == status
    html = response.get_data(as_text=True)
    error = re.search(r'<p class="field__error" id="image-error">([^<]+)</p>', html)
    assert error and message in error.group(1)
    assert 'value="Pyrite"' in html  # what was typed is kept
    assert counts(app) == (0, 0)
    with app.app_context():
        assert specimen_audit(app) == []


@pytest.mark.app_config(SPECIMEN_IMAGE_MAX_BYTES=20_000)
def test_a_picture_over_the_size_limit_is_a_413_with_the_limit_in_the_message(app, organiser):
    heavy = Image.frombytes("RGB", (120, 100), random.Random(2).randbytes(120 * 100 * 3))
    buffer = io.BytesIO()
    heavy.save(buffer, "PNG", compress_level=0)
    assert 20_000 < len(buffer.getvalue()) < 2 * 20_000
    response = organiser.post(
        "/admin/specimens/new",
        data=new_specimen_form(organiser, image=(io.BytesIO(buffer.getvalue()), "big.png")),
    )
    assert response.status_code == 413
    assert "trop lourde" in response.get_data(as_text=True)
    assert "0,02\u00a0Mo au plus" in response.get_data(as_text=True)
    # far over the limit: the body is not even read, the form still says why
    huge = organiser.post(
        "/admin/specimens/new",
        data=new_specimen_form(organiser, image=(io.BytesIO(b"\0" * 200_000), "huge.png")),
    )
    assert huge.status_code == 413
    assert re.search(r'id="image-error">[^<]*trop lourde', huge.get_data(as_text=True))
    assert counts(app) == (0, 0)


def test_a_picture_needs_its_alternative_text(app, organiser):
    response = organiser.post(
        "/admin/specimens/new",
        data=new_specimen_form(
            organiser, alt_text="  ", image=(io.BytesIO(picture_bytes()), "a.png")
        ),
    )
    assert response.status_code == 422
    assert re.search(r'id="alt_text-error">Décrivez la photo', response.get_data(as_text=True))
    assert counts(app) == (0, 0)


def test_pictures_are_judged_by_content_not_name_and_may_exceed_the_1_mib_body_limit(
    app, organiser
):
    noise = Image.frombytes("RGB", (800, 700), random.Random(1).randbytes(800 * 700 * 3))
    buffer = io.BytesIO()
    noise.save(buffer, "PNG")
    big_png = buffer.getvalue()
    assert len(big_png) > organiser.application.config["MAX_CONTENT_LENGTH"]
    response = organiser.post(
        "/admin/specimens/new",
        data=new_specimen_form(organiser, image=(io.BytesIO(big_png), "scan.txt", "text/plain")),
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:400]
    specimen_id = int(response.headers["Location"].split("/")[-2])
    webp = organiser.post(
        f"/admin/specimens/{specimen_id}/images",
        data={
            "csrf_token": csrf(organiser),
            "image": (io.BytesIO(picture_bytes("WEBP")), "autre.webp"),
            "alt_text": "Vue de dessus.",
        },
    )
    assert webp.status_code == 303
    with app.app_context():
        specimen = db.session.get(Specimen, specimen_id)
        assert [p.alt_text for p in specimen.images] == ["Cubes dorés de pyrite.", "Vue de dessus."]
        first = specimen.images[0]
        assert (first.width, first.height) == (800, 700)  # kept as is: under 2400 px
        assert (first.large_width, first.large_height) == (800, 700)  # never enlarged


def test_adding_a_bad_picture_to_a_specimen_keeps_its_pictures_as_they_were(app, organiser):
    number = add_specimen(app, "Galène", SpecimenCategory.ORE)
    with app.app_context():
        specimen_id = db.session.scalar(
            select(Specimen.id).where(Specimen.inventory_number == number)
        )
    for data, message in (
        (
            {"image": (io.BytesIO(b"GIF89a..."), "x.webp"), "alt_text": "Texte."},
            "n’est pas une image",
        ),
        ({"image": (io.BytesIO(picture_bytes()), "x.png"), "alt_text": ""}, "Décrivez la photo"),
        ({"alt_text": "Sans fichier."}, "Choisissez une image"),
    ):
        response = organiser.post(
            f"/admin/specimens/{specimen_id}/images", data={"csrf_token": csrf(organiser), **data}
        )
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
    assert counts(app) == (1, 1)


# A picture replaced


def test_the_dashboards_picture_url_changes_with_the_picture(app, organiser):
    """A re-used id (SQLite does re-use them) never brings back a cached old picture."""
    number = add_specimen(app, "Galène", SpecimenCategory.ORE)
    with app.app_context():
        specimen = db.session.scalar(select(Specimen).where(Specimen.inventory_number == number))
        specimen_id, old = specimen.id, specimen.images[0]
        old_id, old_digest = old.id, old.digest
    old_url = f"/admin/specimen-images/{old_id}/{old_digest}/thumb.webp"
    listing = organiser.get("/admin/specimens").get_data(as_text=True)
    assert old_url in listing
    cached = organiser.get(old_url)
    assert cached.status_code == 200 and "private" in cached.headers["Cache-Control"]
    token = csrf(organiser)
    assert (
        organiser.post(
            f"/admin/specimen-images/{old_id}/delete", data={"csrf_token": token}
        ).status_code
        == 303
    )
    added = organiser.post(
        f"/admin/specimens/{specimen_id}/images",
        data={
            "csrf_token": token,
            "image": (io.BytesIO(picture_bytes(color=(10, 200, 30))), "autre.png"),
            "alt_text": "Une autre photo.",
        },
    )
    assert added.status_code == 303
    with app.app_context():
        new = db.session.scalar(select(SpecimenImage))
        new_id, new_digest = new.id, new.digest
    assert new_digest != old_digest
    new_url = f"/admin/specimen-images/{new_id}/{new_digest}/thumb.webp"
    for page in (
        organiser.get("/admin/specimens").get_data(as_text=True),
        organiser.get(f"/admin/specimens/{specimen_id}/edit").get_data(as_text=True),
    ):
        assert new_url in page and old_url not in page
    assert organiser.get(old_url).status_code == 404  # even if the id is the same again
    assert (
        organiser.get(old_url, headers={"If-None-Match": cached.headers["ETag"]}).status_code == 404
    )
    fresh = organiser.get(new_url)
    assert fresh.status_code == 200 and fresh.data != cached.data
    assert (
        organiser.get(new_url, headers={"If-None-Match": fresh.headers["ETag"]}).status_code == 304
    )
