"""What the gallery's tests share: pictures made with Pillow, specimens, the SQL sent.

The refused pictures are crafted to look like something else than they are.
"""

from __future__ import annotations

import io
import re
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from PIL import Image
from sqlalchemy import event, func, select

from app.extensions import db
from app.models import AuditEntry, EventSession, Specimen, SpecimenCategory, SpecimenImage
from app.services import gallery, images

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


def make_collection(app, make_session) -> dict:
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


# What a request sent to the database, and what a page shows


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


def bytes_read(query: str) -> set[str]:
    """Which renditions' bytes a statement reads."""
    return set(re.findall(r"specimen_image\.(thumb|large|original)\b", query))


def names_in(html: str) -> set[str]:
    """The specimen names of the cards on a page."""
    return set(re.findall(r'class="specimen-card__title"[^>]*><a href="[^"]+">([^<]+)</a>', html))


# The dashboard's forms


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
