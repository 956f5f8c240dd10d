"""The collection's gallery: public pages, pictures, the dashboard's forms and the demo.

Everything runs on both databases through the ``app`` fixture. Pictures are made here with
Pillow; the refused ones are crafted to look like something else than they are.
"""

from __future__ import annotations

import io
import random
import re
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import event, func, select

from app.extensions import db
from app.models import AuditEntry, Event, EventSession, Specimen, SpecimenCategory, SpecimenImage
from app.services import gallery, images
from app.timeutil import utcnow

from .helpers import form_fields

# Pictures


def picture_bytes(
    fmt: str = "PNG", size: tuple[int, int] = (64, 48), color=(120, 60, 160), **save
) -> bytes:
    """A small real picture in ``fmt``."""
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, fmt, **save)
    return buffer.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk with its CRC."""
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png_declaring(width: int, height: int, pixel_rows: int | None = None) -> bytes:
    """A 1-bit PNG whose header says ``width`` × ``height``.

    With ``pixel_rows=None`` it holds the zeros of every row, compressed: a real
    decompression bomb (a few hundred kilobytes for gigapixels). Otherwise only a few rows.
    """
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = b"\x00" * (1 + (width + 7) // 8)
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(pixel_rows or height))
    body += compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", body)
        + png_chunk(b"IEND", b"")
    )


def jpeg_with_exif() -> bytes:
    """A 200 × 100 JPEG whose EXIF says: camera make, GPS position, rotate 90° to view."""
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x0112] = 6  # Orientation: the picture must be turned 90° clockwise
    exif[0x8825] = {1: "N", 2: (43.0, 55.0, 0.0)}  # GPSInfo
    buffer = io.BytesIO()
    Image.new("RGB", (200, 100), (200, 180, 40)).save(buffer, "JPEG", exif=exif.tobytes())
    return buffer.getvalue()


# Data


def add_specimen(app, name, category=SpecimenCategory.MINERAL, *, picture=True, **fields) -> str:
    """A specimen made through the service (with a picture unless told); its number."""
    with app.app_context():
        prepared = images.prepare(picture_bytes()) if picture else None
        specimen = gallery.save_specimen(
            gallery.SpecimenFields(name=name, category=category, **fields),
            actor="setup",
            image=gallery.NewImage(prepared, f"Photo de {name}") if prepared else None,
        )
        db.session.commit()
        return specimen.inventory_number


def counts(app) -> tuple[int, int]:
    """How many specimens and pictures are stored."""
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(Specimen)),
            db.session.scalar(select(func.count()).select_from(SpecimenImage)),
        )


def specimen_audit(app) -> list[str]:
    """The audit log's specimen actions, in order."""
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.action.startswith("specimen."))
                .order_by(AuditEntry.id)
            )
        )


def event_of(app, session_id) -> int:
    """The event of a session."""
    with app.app_context():
        return db.session.get(EventSession, session_id).event_id


def add_session(app, event_id, starts_in, cancelled=False) -> int:
    """Another session of an event."""
    with app.app_context():
        starts_at = utcnow() + starts_in
        session = EventSession(
            event_id=event_id,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=1),
            capacity=20,
            cancelled_at=utcnow() if cancelled else None,
        )
        db.session.add(session)
        db.session.commit()
        return session.id


@pytest.fixture
def collection(app, make_session):
    """Four specimens on display and a hidden one; three shown by the exhibition."""
    session_id = make_session(capacity=20)
    event_id = event_of(app, session_id)
    numbers = {
        "galena": add_specimen(
            app,
            "Galène",
            SpecimenCategory.ORE,
            formula="PbS",
            locality="Les Malines, Saint-Laurent-le-Minier (Gard)",
            region="Cévennes",
            description="Sulfure de plomb aux cristaux cubiques.",
            event_id=event_id,
        ),
        "ammonite": add_specimen(
            app,
            "Ammonite",
            SpecimenCategory.FOSSIL,
            locality="Causse de Sauveterre",
            region="Causses",
            age="Jurassique inférieur (Toarcien)",
            description="Coquille enroulée d’un céphalopode marin.",
            event_id=event_id,
        ),
        "fluorite": add_specimen(
            app, "Fluorine", formula="CaF2", locality="Tarn", region="Massif central"
        ),
        "quartz": add_specimen(
            app,
            "Quartz hyalin",
            formula="SiO2",
            locality="Vialas (Lozère)",
            region="Cévennes",
            description="Prismes à six faces, dureté 7.",
            event_id=event_id,
        ),
        "hidden": add_specimen(
            app,
            "Baryte cachée",
            formula="BaSO4",
            locality="Mine secrète",
            region="Région masquée",
            description="En restauration.",
            on_display=False,
            event_id=event_id,
        ),
    }
    return {"session_id": session_id, "event_id": event_id, **numbers}


@contextmanager
def statements(app) -> Iterator[list[str]]:
    """The SQL statements sent to the database inside the block (requests included)."""
    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def specimen_queries(seen: list[str]) -> list[str]:
    """The statements that read the collection's tables."""
    return [s for s in seen if s.upper().startswith("SELECT") and "FROM specimen" in s]


def bytes_read(query: str) -> set[str]:
    """Which renditions' bytes a statement reads."""
    return set(re.findall(r"specimen_image\.(thumb|large|original)\b", query))


def names_in(html: str) -> set[str]:
    """The specimen names of the cards on a page."""
    return set(re.findall(r'class="specimen-card__title"[^>]*><a href="[^"]+">([^<]+)</a>', html))


# The grid, its filters and its search


def test_the_grid_shows_specimens_on_display_with_sized_lazy_thumbnails(client, collection):
    response = client.get("/collection/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert names_in(html) == {"Galène", "Ammonite", "Fluorine", "Quartz hyalin"}
    assert "Baryte" not in html and "Région masquée" not in html
    assert "4 spécimens présentés" in html
    thumbnails = re.findall(r'<img class="specimen-card__img"[^>]*>', html)
    assert len(thumbnails) == 4
    for tag in thumbnails:
        assert 'width="480"' in tag and 'height="360"' in tag
        assert 'loading="lazy"' in tag
        assert re.search(r'alt="Photo de [^"]+"', tag)
    assert "CaF<sub>2</sub>" in html  # formulas get their subscripts


def test_filters_by_category_and_region_work_as_plain_links(client, collection):
    fossils = client.get("/collection/?category=fossil").get_data(as_text=True)
    assert names_in(fossils) == {"Ammonite"}
    assert '<option value="fossil" selected>' in fossils
    cevennes = client.get("/collection/?region=Cévennes").get_data(as_text=True)
    assert names_in(cevennes) == {"Galène", "Quartz hyalin"}
    both = client.get("/collection/?region=Cévennes&category=ore").get_data(as_text=True)
    assert names_in(both) == {"Galène"}
    assert "1 spécimen trouvé" in both
    nothing = client.get("/collection/?region=Causses&category=ore").get_data(as_text=True)
    assert names_in(nothing) == set()
    assert "Aucun spécimen ne correspond" in nothing
    # the region choices are those of the specimens on display, in alphabetical order
    regions = re.findall(r'<option value="([^"]+)"', fossils.split('name="region"')[1])
    assert regions == ["Causses", "Cévennes", "Massif central"]
    assert client.get("/collection/?category=diamond").status_code == 400


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("galene", {"Galène"}),  # accent-blind
        ("GALÈNE", {"Galène"}),  # case-blind
        ("pbs", {"Galène"}),  # formula
        ("malines", {"Galène"}),  # locality
        ("cephalopode", {"Ammonite"}),  # description, accent-blind
        ("toarcien", {"Ammonite"}),  # age
        ("cevennes", {"Galène", "Quartz hyalin"}),  # region
        ("cevennes dureté", {"Quartz hyalin"}),  # every word must match
        ("restauration", set()),  # only a hidden specimen says that
        ("%", set()),  # a LIKE wildcard is just a character
        ("MA-MIN", {"Fluorine", "Quartz hyalin"}),  # inventory numbers
    ],
)
def test_search_looks_into_name_formula_locality_and_description(
    client, collection, query, expected
):
    html = client.get("/collection/", query_string={"q": query}).get_data(as_text=True)
    assert names_in(html) == expected


def test_htmx_search_answers_the_grid_fragment_and_the_count_out_of_band(client, collection):
    response = client.get(
        "/collection/?q=galene&category=&region=",
        headers={"HX-Request": "true", "HX-Target": "gallery-grid"},
    )
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert "<html" not in fragment and 'id="gallery-filters"' not in fragment
    assert fragment.lstrip().startswith("<div") and 'id="gallery-grid"' in fragment
    assert names_in(fragment) == {"Galène"}
    assert '<p id="gallery-count" data-hx-swap-oob="innerHTML">' in fragment
    assert "1 spécimen trouvé" in fragment
    assert response.headers["HX-Push-Url"] == "/collection/?q=galene"  # empty filters dropped
    assert "HX-Request" in response.headers["Vary"]
    page = client.get("/collection/?q=galene")
    html = page.get_data(as_text=True)
    assert "<html" in html and 'id="gallery-filters"' in html and 'value="galene"' in html
    assert names_in(html) == {"Galène"}
    assert "HX-Request" in page.headers["Vary"]
    # the search box searches as one types; the selects on change; all without inline code
    assert 'data-hx-trigger="keyup changed delay:200ms, search"' in html
    # one way to push the address: the answer's clean HX-Push-Url, not the form's raw one
    assert "hx-push-url" not in html and "hx-on" not in html


def test_a_keystroke_reads_the_specimens_and_their_pictures_only(app, client, collection):
    """No region list for the fragment, and no query per card whatever the number of cards."""
    htmx = {"HX-Request": "true", "HX-Target": "gallery-grid"}
    with statements(app) as seen:
        assert client.get("/collection/?q=e", headers=htmx).status_code == 200
    fragment = specimen_queries(seen)
    assert len(fragment) == 2, fragment  # the specimens, then all their pictures at once
    assert not any("DISTINCT" in s.upper() for s in fragment)
    for number in range(6):
        add_specimen(app, f"Calcite {number}", region=f"Région {number}")
    with statements(app) as seen:
        html = client.get("/collection/").get_data(as_text=True)
    assert len(names_in(html)) == 10
    page = specimen_queries(seen)
    assert len(page) == 3, page  # the same two, and the regions for the filter
    assert sum("DISTINCT" in s.upper() for s in page) == 1


def test_an_english_page_marks_the_collections_french_text(client, collection):
    html = client.get("/collection/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'lang="en"' in html
    assert '<h2 class="specimen-card__title" lang="fr">' in html
    assert re.search(r'alt="Photo de Galène" lang="fr"', html)
    page = client.get(f"/collection/{collection['galena']}", headers={"Accept-Language": "en"})
    assert '<h1 lang="fr">Galène</h1>' in page.get_data(as_text=True)


# A specimen's page


def test_the_detail_page_shows_every_field_and_the_sessions_to_book(app, client, collection):
    event_id = collection["event_id"]
    later = add_session(app, event_id, timedelta(days=8))
    past = add_session(app, event_id, timedelta(days=-1))
    cancelled = add_session(app, event_id, timedelta(days=9), cancelled=True)
    response = client.get(f"/collection/{collection['galena']}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1>Galène</h1>" in html
    for text in (
        collection["galena"],
        "PbS",
        "Les Malines, Saint-Laurent-le-Minier (Gard)",
        "Cévennes",
        "Sulfure de plomb aux cristaux cubiques.",
        "Minerai",
    ):
        assert text in html
    large = re.search(r'<img class="specimen__img"[^>]*>', html).group(0)
    assert 'alt="Photo de Galène"' in large and "/large.webp" in large
    assert 'width="64"' in large and 'height="48"' in large  # small pictures are never enlarged
    booking_links = re.findall(r'href="/sessions/(\d+)#booking-panel"', html)
    assert booking_links == [str(collection["session_id"]), str(later)]
    assert str(past) not in booking_links and str(cancelled) not in booking_links
    assert html.count(">20 places<") == 2  # seats left, for each session
    assert html.count(">Réserver<") == 2
    # the badges are those the session page's live poll refreshes, and the page polls too
    assert f'id="avail-{collection["session_id"]}"' in html and f'id="avail-{later}"' in html
    poll = re.search(r"<div hidden data-live-poll[^>]*>", html).group(0)
    assert f'data-hx-get="/live/seats?event={event_id}&amp;upcoming=1"' in poll
    assert re.search(r'data-etag="seats-\d+-e\d+-upcoming-fr-\d+"', poll)
    live = client.get(f"/live/seats?event={event_id}").get_data(as_text=True)
    assert f'id="avail-{later}" data-hx-swap-oob="true"' in live


def test_a_specimen_without_event_says_so_and_its_age_is_shown(client, collection):
    html = client.get(f"/collection/{collection['ammonite']}").get_data(as_text=True)
    assert "Jurassique inférieur (Toarcien)" in html
    alone = client.get(f"/collection/{collection['fluorite']}").get_data(as_text=True)
    assert "n’est pas présenté pendant la semaine" in alone
    assert "#booking-panel" not in alone and "data-live-poll" not in alone


def test_an_unknown_number_is_a_404_and_a_lower_case_one_redirects(client, collection):
    assert client.get("/collection/MA-MIN-9999").status_code == 404
    assert client.get("/collection/n'importe quoi").status_code == 404
    lower = client.get(f"/collection/{collection['quartz'].lower()}")
    assert lower.status_code == 301
    assert lower.headers["Location"].endswith(f"/collection/{collection['quartz']}")


def test_hidden_specimens_are_absent_from_every_public_page(app, client, collection):
    hidden = collection["hidden"]
    assert client.get(f"/collection/{hidden}").status_code == 404
    for url in ("/collection/", "/collection/?q=baryte", "/collection/?region=Région masquée"):
        html = client.get(url).get_data(as_text=True)
        assert "Baryte" not in html, url
    session_page = client.get(f"/sessions/{collection['session_id']}").get_data(as_text=True)
    assert "Spécimens présentés" in session_page
    assert names_in(session_page) == {"Galène", "Ammonite", "Quartz hyalin"}
    assert "Baryte" not in session_page
    with app.app_context():
        picture = db.session.scalar(
            select(SpecimenImage).join(Specimen).where(Specimen.inventory_number == hidden)
        )
        url = f"/collection/images/{picture.id}/{picture.digest}/thumb.webp"
    assert client.get(url).status_code == 404
    # a browser that kept it before it was hidden gets no 304 either
    assert (
        client.get(url, headers={"If-None-Match": f'"{picture.digest}-thumb"'}).status_code == 404
    )


def test_a_session_page_reads_its_specimens_and_their_pictures_in_one_query(
    app, client, collection
):
    for number in range(4):
        add_specimen(app, f"Calcite {number}", event_id=collection["event_id"])
    with statements(app) as seen:
        html = client.get(f"/sessions/{collection['session_id']}").get_data(as_text=True)
    assert len(names_in(html)) == 7
    assert len(re.findall(r'<img class="specimen-card__img"', html)) == 7
    queries = specimen_queries(seen)
    assert len(queries) == 1, queries
    assert "JOIN specimen_image" in queries[0]
    assert bytes_read(queries[0]) == set()  # the cards' sizes, never the bytes


def test_a_session_page_lists_only_its_own_events_specimens(app, client, collection, make_session):
    other = make_session(title="Film du midi")
    html = client.get(f"/sessions/{other}").get_data(as_text=True)
    assert "Spécimens présentés" not in html and names_in(html) == set()


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


# The dashboard


@pytest.fixture
def organiser(client, staff_login):
    """A client signed in as an organiser."""
    return staff_login(client, "organiser")


def csrf(client) -> str:
    """A CSRF token, read from the new specimen form."""
    response = client.get("/admin/specimens/new")
    assert response.status_code == 200
    return form_fields(response.get_data(as_text=True))["csrf_token"]


def new_specimen_form(client, **overrides) -> dict:
    """A filled-in new specimen form."""
    return {
        "csrf_token": csrf(client),
        "name": "Pyrite",
        "category": "mineral",
        "formula": "FeS2",
        "locality": "La Grand-Combe (Gard)",
        "region": "Bassin d’Alès",
        "age": "",
        "description": "Sulfure de fer.",
        "event_id": "0",
        "on_display": "y",
        "alt_text": "Cubes dorés de pyrite.",
        **overrides,
    }


@pytest.mark.parametrize("role", ["organiser", "admin"])
def test_organisers_and_admins_create_a_specimen_with_its_picture(app, client, staff_login, role):
    staff_login(client, role)
    form = new_specimen_form(client, image=(io.BytesIO(jpeg_with_exif()), "IMG_0001.JPG"))
    response = client.post("/admin/specimens/new", data=form)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    with app.app_context():
        specimen = db.session.scalar(select(Specimen))
        assert specimen.inventory_number == "MA-MIN-0001"
        assert specimen.formula == "FeS2" and specimen.on_display
        assert "bassin d'ales" in specimen.search_text or "bassin d’ales" in specimen.search_text
        picture = specimen.images[0]
        assert picture.alt_text == "Cubes dorés de pyrite."
        with Image.open(io.BytesIO(picture.original)) as stored:
            assert stored.format == "WEBP"
            assert stored.size == (100, 200)  # the EXIF orientation was applied...
            assert not stored.getexif()  # ...and the EXIF itself is gone
        for data in (picture.original, picture.large, picture.thumb):
            assert b"SecretCam" not in data and b"Exif" not in data
        assert (picture.thumb_width, picture.thumb_height) == (480, 360)
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "specimen.created"))
        assert entry.actor == f"{role}@mines-ales.fr"
        assert entry.data["inventory_number"] == "MA-MIN-0001"
    assert client.get("/collection/MA-MIN-0001").status_code == 200


def test_the_next_number_follows_the_category_and_a_typed_one_must_be_free(app, organiser):
    add_specimen(app, "Galène", SpecimenCategory.ORE)  # MA-MNR-0001
    first = organiser.post("/admin/specimens/new", data=new_specimen_form(organiser))
    assert first.status_code == 303
    ore = organiser.post(
        "/admin/specimens/new", data=new_specimen_form(organiser, name="Blende", category="ore")
    )
    assert ore.status_code == 303
    typed = organiser.post(
        "/admin/specimens/new",
        data=new_specimen_form(organiser, name="Quartz", inventory_number=" ma-min-0042 "),
    )
    assert typed.status_code == 303
    with app.app_context():
        numbers = set(db.session.scalars(select(Specimen.inventory_number)))
    assert numbers == {"MA-MNR-0001", "MA-MIN-0001", "MA-MNR-0002", "MA-MIN-0042"}
    taken = organiser.post(
        "/admin/specimens/new",
        data=new_specimen_form(organiser, name="Copie", inventory_number="MA-MIN-0042"),
    )
    assert taken.status_code == 409
    assert "MA-MIN-0042 est déjà utilisé" in taken.get_data(as_text=True)
    bad = organiser.post(
        "/admin/specimens/new",
        data=new_specimen_form(organiser, name="Copie", inventory_number="MA MIN/../1"),
    )
    assert bad.status_code == 422
    assert counts(organiser.application)[0] == 4


@pytest.mark.parametrize("number", ["MA/12", "ma.12", "MA--12", "-MA12"])
def test_a_number_that_cannot_be_a_page_address_is_refused_and_nothing_stored(
    app, organiser, number
):
    """/collection/<number> is one URL segment: letters, digits and single dashes only."""
    response = organiser.post(
        "/admin/specimens/new",
        data=new_specimen_form(
            organiser, inventory_number=number, image=(io.BytesIO(picture_bytes()), "a.png")
        ),
    )
    assert response.status_code == 422
    error = re.search(r'id="inventory_number-error">([^<]+)<', response.get_data(as_text=True))
    assert error and "Lettres, chiffres et tirets seulement" in error.group(1)
    assert counts(app) == (0, 0)
    assert specimen_audit(app) == []
    # the service refuses it too, whoever calls it
    with app.app_context():
        with pytest.raises(gallery.InvalidInventoryNumber) as refused:
            gallery.save_specimen(
                gallery.SpecimenFields(name="Copie", category=SpecimenCategory.MINERAL),
                actor="test",
                inventory_number=number.upper(),
            )
        assert "tirets" in refused.value.message()
        db.session.rollback()
    assert counts(app) == (0, 0)


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


def test_edit_hide_show_and_remove_a_picture_are_audited(app, client, organiser):
    number = add_specimen(app, "Galène", SpecimenCategory.ORE, region="Cévennes")
    with app.app_context():
        specimen = db.session.scalar(select(Specimen).where(Specimen.inventory_number == number))
        specimen_id, picture_id = specimen.id, specimen.images[0].id
        digest = specimen.images[0].digest
    page = organiser.get(f"/admin/specimens/{specimen_id}/edit").get_data(as_text=True)
    token = form_fields(page)["csrf_token"]
    assert f"/admin/specimen-images/{picture_id}/{digest}/thumb.webp" in page
    edited = organiser.post(
        f"/admin/specimens/{specimen_id}/edit",
        data={
            "csrf_token": token,
            "name": "Galène argentifère",
            "category": "ore",
            "formula": "PbS",
            "region": "Cévennes",
            "event_id": "0",
            "on_display": "y",
            "inventory_number": "MA-HACK-0001",  # not part of the edit form: ignored
        },
    )
    assert edited.status_code == 303
    found = organiser.get("/collection/?q=argentifere").get_data(as_text=True)
    assert names_in(found) == {"Galène argentifère"}
    hidden = organiser.post(
        f"/admin/specimens/{specimen_id}/display", data={"csrf_token": token, "on_display": "0"}
    )
    assert hidden.status_code == 303
    assert organiser.get(f"/collection/{number}").status_code == 404
    listing = organiser.get("/admin/specimens").get_data(as_text=True)
    assert "Masqué" in listing and number in listing
    # the dashboard still shows the hidden specimen's picture, privately
    preview = organiser.get(f"/admin/specimen-images/{picture_id}/{digest}/thumb.webp")
    assert preview.status_code == 200 and "private" in preview.headers["Cache-Control"]
    shown = organiser.post(
        f"/admin/specimens/{specimen_id}/display", data={"csrf_token": token, "on_display": "1"}
    )
    assert shown.status_code == 303
    assert organiser.get(f"/collection/{number}").status_code == 200
    removed = organiser.post(
        f"/admin/specimen-images/{picture_id}/delete", data={"csrf_token": token}
    )
    assert removed.status_code == 303
    assert counts(app) == (1, 0)
    with app.app_context():
        assert db.session.scalar(select(Specimen.inventory_number)) == number
        actions = list(
            db.session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.actor == "organiser@mines-ales.fr")
                .order_by(AuditEntry.id)
            )
        )
    assert actions == [
        "specimen.saved",
        "specimen.hidden",
        "specimen.shown",
        "specimen.image_removed",
    ]


@pytest.mark.parametrize("url", ["/admin/specimens", "/admin/specimens/new"])
def test_the_door_staff_cannot_manage_the_collection(client, staff_login, url):
    assert client.get(url).status_code == 302  # anonymous: to the login page
    staff_login(client, "checkin")
    assert client.get(url).status_code == 403


def test_the_door_staff_cannot_upload_either(app, client, staff_login):
    staff_login(client, "checkin")
    token = form_fields(client.get("/checkin/").get_data(as_text=True)).get("csrf_token", "")
    response = client.post(
        "/admin/specimens/new",
        data={"csrf_token": token, "name": "X", "image": (io.BytesIO(picture_bytes()), "x.png")},
    )
    assert response.status_code == 403
    assert counts(app) == (0, 0)


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


def test_the_dashboards_list_loads_events_and_pictures_for_all_rows_at_once(
    app, organiser, collection, make_session
):
    for number in range(4):
        event_id = event_of(app, make_session(title=f"Atelier {number}"))
        add_specimen(app, f"Calcite {number}", event_id=event_id)
    with statements(app) as seen:
        html = organiser.get("/admin/specimens").get_data(as_text=True)
    assert html.count('<img class="admin-thumb"') == 9
    assert all(f"<td>Atelier {number}</td>" in html for number in range(4))
    queries = [s for s in seen if re.search(r"FROM (specimen|specimen_image|event)\b", s)]
    # the specimens, their pictures, their events: no query per row
    assert len(queries) == 3, queries
    assert any("WHERE event.id IN" in query for query in queries)


# The demo


def test_seed_demo_adds_the_specimens_once_with_drawn_pictures(app, runner, client):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        exhibition = db.session.scalar(select(Event).where(Event.slug == "exposition-commentee"))
        specimens = list(db.session.scalars(select(Specimen)))
        first_ids = {s.id for s in specimens}
        assert len(specimens) == 13
        assert sum(s.on_display for s in specimens) == 12
        assert {s.event_id for s in specimens} == {exhibition.id}
        assert {s.category for s in specimens} == set(SpecimenCategory)
        galena = next(s for s in specimens if s.formula == "PbS")
        assert "Cévennes" in galena.region and "Malines" in galena.locality
        for specimen in specimens:
            assert len(specimen.images) == 1
            assert specimen.images[0].alt_text.startswith("Illustration")
            assert specimen.search_text
        session_id = exhibition.sessions[0].id
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        assert {s.id for s in db.session.scalars(select(Specimen))} == first_ids
        assert db.session.scalar(select(func.count()).select_from(SpecimenImage)) == 13
    grid = client.get("/collection/").get_data(as_text=True)
    assert len(names_in(grid)) == 12 and "Baryte" not in grid
    session_page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert len(names_in(session_page)) == 12


def test_the_specimen_pages_poll_asks_only_for_the_badges_it_shows(app, client, make_session):
    """Past and cancelled sessions of the event are not on the page: the poll leaves them out."""
    from app.models import Event, EventSession

    upcoming_id = make_session(capacity=12)
    with app.app_context():
        event_id = db.session.get(EventSession, upcoming_id).event_id
        event = db.session.get(Event, event_id)
        first = event.sessions[0]
        past = EventSession(
            event=event,
            starts_at=first.starts_at - timedelta(days=30),
            ends_at=first.starts_at - timedelta(days=30) + timedelta(hours=1),
            capacity=10,
        )
        db.session.add(past)
        db.session.commit()
        past_id = past.id
    everything = client.get(f"/live/seats?event={event_id}").get_data(as_text=True)
    upcoming = client.get(f"/live/seats?event={event_id}&upcoming=1")
    html = upcoming.get_data(as_text=True)
    assert f'id="avail-{past_id}"' in everything
    assert f'id="avail-{upcoming_id}"' in html and f'id="avail-{past_id}"' not in html
    assert upcoming.headers["ETag"] != client.get(f"/live/seats?event={event_id}").headers["ETag"]
