"""The collection in the dashboard: specimens and their pictures (the public side is app/gallery).

Pictures are checked (format, size, pixels) before anything is written; a refused one
stores nothing and is explained next to its field.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.file import FileField
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from ..auth.guard import blueprint_refusal
from ..errors import error_response
from ..forms import given, show_refusal
from ..i18n import gettext
from ..labels import category_label
from ..models import Role, Specimen, SpecimenCategory
from ..pictures import picture_response
from ..services import gallery, images, organiser
from ..services.errors import DomainError
from . import bp
from .common import actor
from .forms import (
    ConfirmForm,
    DisplayForm,
    SpecimenForm,
    SpecimenImageForm,
    choices,
    has_file,
)

UPLOAD_ENDPOINTS = frozenset({"admin.edit_specimen", "admin.add_specimen_image"})


@bp.url_value_preprocessor
def _room_for_pictures(endpoint: str | None, _values: dict[str, object] | None) -> None:
    """Let organisers send a picture larger than the app's request body limit (1 MiB).

    This runs before the CSRF check reads the body, and only on the upload forms, for
    staff who may use them. Twice the picture limit is accepted, so that a picture just too
    heavy is refused by images.read_upload with its message next to the field.
    """
    if (
        endpoint in UPLOAD_ENDPOINTS
        and request.method == "POST"
        and current_user.is_authenticated
        and current_user.may(Role.ORGANISER)
    ):
        request.max_content_length = 2 * images.max_bytes() + 64 * 1024


@bp.errorhandler(RequestEntityTooLarge)
def _upload_too_large(error: RequestEntityTooLarge) -> Response | tuple[str, int]:
    """A picture far over the limit: the form again, with the reason next to the field.

    The body was refused before the blueprint's role check ran: the check comes first here,
    or door staff would be shown a hidden specimen's form.
    """
    refusal = blueprint_refusal()
    if refusal is not None:
        return refusal
    if (request.endpoint or "") not in UPLOAD_ENDPOINTS:
        return error_response(413)
    specimen_id = (request.view_args or {}).get("specimen_id")
    try:
        specimen = gallery.get_specimen(specimen_id) if specimen_id else None
    except DomainError as not_found:
        return error_response(not_found.status, not_found.message())
    form = specimen_form(specimen, from_request=False)
    image_form = SpecimenImageForm(formdata=None)
    message = images.ImageTooHeavy(images.max_bytes()).message()
    (form.image if specimen is None else image_form.image).errors = [message]
    return render_specimen_form(form, specimen, image_form), 413


def specimen_form(specimen: Specimen | None = None, *, from_request: bool = True) -> SpecimenForm:
    """The specimen form with its choices; an existing specimen keeps its number.

    ``from_request``: read what was posted (Flask-WTF reads the files too); otherwise show
    the specimen as it is stored.
    """
    posted = from_request and request.method == "POST"
    form = SpecimenForm(obj=specimen) if posted else SpecimenForm(formdata=None, obj=specimen)
    form.category.choices = choices(
        (category.value, category_label(category)) for category in SpecimenCategory
    )
    form.event_id.choices = choices([(0, "—"), *((e.id, e.title) for e in organiser.all_events())])
    if specimen is not None:
        del form.inventory_number, form.image, form.alt_text  # pictures have their own form
        if not posted:
            form.category.data = specimen.category.value
            form.event_id.data = specimen.event_id or 0
    elif not posted:
        exhibition = organiser.exhibition_event()
        form.event_id.data = exhibition.id if exhibition else 0
    return form


def render_specimen_form(
    form: SpecimenForm, specimen: Specimen | None, image_form: SpecimenImageForm | None = None
) -> str:
    """The specimen page of the dashboard: its fields, and its pictures once it exists."""
    return render_template(
        "admin/specimen_form.html",
        form=form,
        specimen=specimen,
        image_form=image_form or SpecimenImageForm(formdata=None),
        regions=gallery.known_regions(),
        next_number=None if specimen else gallery.next_inventory_number(SpecimenCategory.MINERAL),
        max_megabytes=images.megabytes(images.max_bytes()),
    )


def checked_picture(field: FileField, alt_text: str) -> gallery.NewImage:
    """Read and check an uploaded picture (before anything is written); ``ImageRefused`` else."""
    stream = field.data.stream if has_file(field) else None
    prepared = images.prepare(images.read_upload(stream))
    return gallery.NewImage(prepared, alt_text.strip())


@bp.get("/specimens")
def specimens() -> str:
    """Every specimen of the collection, hidden ones included."""
    return render_template("admin/specimens.html", specimens=gallery.all_specimens())


@bp.route("/specimens/new", methods=["GET", "POST"])
@bp.route("/specimens/<int:specimen_id>/edit", methods=["GET", "POST"])
def edit_specimen(specimen_id: int | None = None) -> Response | tuple[str, int]:
    """Create a specimen (with a first picture) or edit one; a bad picture stores nothing."""
    specimen = gallery.get_specimen(specimen_id) if specimen_id else None
    form = specimen_form(specimen)
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                picture = None
                if specimen is None and has_file(form.image):
                    picture = checked_picture(form.image, form.alt_text.data or "")
                saved = gallery.save_specimen(
                    gallery.SpecimenFields(
                        name=given(form.name.data).strip(),
                        category=SpecimenCategory(form.category.data),
                        formula=(form.formula.data or "").strip(),
                        locality=(form.locality.data or "").strip(),
                        region=(form.region.data or "").strip(),
                        age=(form.age.data or "").strip(),
                        description=(form.description.data or "").strip(),
                        on_display=form.on_display.data,
                        event_id=form.event_id.data or None,
                    ),
                    actor=actor(),
                    specimen_id=specimen_id,
                    inventory_number=(form.inventory_number.data or "") if specimen is None else "",
                    image=picture,
                )
            except DomainError as error:
                if message := show_refusal(form, error):
                    flash(message, "error")
                status = error.status
            else:
                flash(
                    gettext("Spécimen %(number)s enregistré.", number=saved.inventory_number),
                    "success",
                )
                return redirect(url_for(".edit_specimen", specimen_id=saved.id), code=303)
        else:
            status = 422
    return render_specimen_form(form, specimen), status


@bp.post("/specimens/<int:specimen_id>/images")
def add_specimen_image(specimen_id: int) -> Response | tuple[str, int]:
    """Add a picture (with its alternative text) to a specimen."""
    specimen = gallery.get_specimen(specimen_id)
    image_form = SpecimenImageForm()
    status = 422
    if image_form.validate_on_submit():
        try:
            picture = checked_picture(image_form.image, image_form.alt_text.data or "")
            gallery.add_image(specimen_id, picture, actor=actor())
        except DomainError as error:
            if message := show_refusal(image_form, error):
                flash(message, "error")
            status = error.status
        else:
            flash(gettext("Photo ajoutée."), "success")
            return redirect(url_for(".edit_specimen", specimen_id=specimen_id), code=303)
    return render_specimen_form(
        specimen_form(specimen, from_request=False), specimen, image_form
    ), status


@bp.post("/specimens/<int:specimen_id>/display")
def specimen_display(specimen_id: int) -> Response:
    """Show or hide a specimen on the public pages."""
    form = DisplayForm()
    if form.validate_on_submit():
        specimen = gallery.set_on_display(specimen_id, form.on_display.data == "1", actor=actor())
        if specimen.on_display:
            message = gettext(
                "%(number)s est présenté au public.", number=specimen.inventory_number
            )
        else:
            message = gettext(
                "%(number)s est masqué : il n’apparaît plus sur les pages publiques.",
                number=specimen.inventory_number,
            )
        flash(message, "success")
    else:
        gallery.get_specimen(specimen_id)  # 404 for an unknown specimen
        flash(gettext("Choisissez de présenter ou de masquer le spécimen."), "error")
    return redirect(url_for(".specimens") + f"#specimen-{specimen_id}", code=303)


@bp.get("/specimen-images/<int:image_id>/<digest>/<any(thumb, large):size>.webp")
def specimen_image(image_id: int, digest: str, size: str) -> Response:
    """A picture as the dashboard shows it, hidden specimens included (never cached publicly).

    The digest in the URL changes with the pixels: a re-used id never shows an old picture.
    """
    return picture_response(image_id, digest, size, public=False)


@bp.post("/specimen-images/<int:image_id>/delete")
def remove_specimen_image(image_id: int) -> Response:
    """Delete a picture of a specimen."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    specimen = gallery.remove_image(image_id, actor=actor())
    flash(gettext("Photo supprimée."), "success")
    return redirect(url_for(".edit_specimen", specimen_id=specimen.id), code=303)
