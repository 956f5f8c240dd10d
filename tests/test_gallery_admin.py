"""The dashboard's collection: creating, numbering, editing and hiding specimens, and who may.

Everything runs on both databases through the ``app`` fixture.
"""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, Specimen, SpecimenCategory
from app.services import gallery

from .gallery_helpers import (
    add_specimen,
    counts,
    event_of,
    jpeg_with_exif,
    names_in,
    new_specimen_form,
    picture_bytes,
    specimen_audit,
    statements,
)
from .helpers import form_fields

# Creating and numbering


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


# Editing, hiding, and who may


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
