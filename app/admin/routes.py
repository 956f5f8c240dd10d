"""URL rules of the organisers' dashboard, all in one place.

Views parse a form, call one service, and redirect (303) or re-render with the error.
Every seat change goes through app/services, like the public's.
"""

from __future__ import annotations

from datetime import datetime

from flask import Response, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.file import FileField
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from ..auth.guard import blueprint_refusal, require_roles
from ..database import end_write
from ..extensions import db
from ..gallery.routes import picture_response
from ..htmx import is_htmx_request
from ..i18n import gettext
from ..labels import DIFFICULTIES, category_label, difficulty_label, kind_label
from ..models import (
    AuditEntry,
    Event,
    EventKind,
    EventSession,
    Role,
    Specimen,
    SpecimenCategory,
    StaffUser,
    Venue,
)
from ..security import id_arg
from ..services import accounts, attendees, dashboard, gallery, images, organiser, waitlist
from ..services import booking as booking_service
from ..services.errors import DomainError
from ..services.programme import get_session
from ..timeutil import PARIS, paris
from . import bp
from .forms import (
    CapacityForm,
    ConfirmForm,
    DisplayForm,
    DuplicateForm,
    EventForm,
    MessageForm,
    MoveForm,
    PhoneBookingForm,
    PriorityForm,
    SessionForm,
    SpecimenForm,
    SpecimenImageForm,
    StaffForm,
    choices,
    has_file,
)


def actor() -> str:
    """Who is acting, for the audit log."""
    return current_user.email


def from_paris(value: datetime | None) -> datetime | None:
    """A naive ``datetime-local`` value, read as Paris time."""
    return value.replace(tzinfo=PARIS) if value else None


def to_paris_input(value: datetime | None) -> datetime | None:
    """An aware datetime as a naive Paris value for a ``datetime-local`` field."""
    return paris(value).replace(tzinfo=None) if value else None


def refused(error: DomainError) -> None:
    """Roll back the refused change and tell the organiser why."""
    end_write(commit=False)
    flash(error.message(), "error")


@bp.get("/")
def overview() -> str:
    """Every session by day: booked/capacity, waiting, checked in; the week's totals."""
    failed_mail = dashboard.failed_mail_count()
    return render_template(
        "admin/overview.html", week=dashboard.week_figures(), failed_mail=failed_mail
    )


def session_context(session: EventSession, **forms: object) -> dict[str, object]:
    """Everything the session page shows."""
    query = request.args.get("q", "")
    others = [s for s in session.event.sessions if s.id != session.id and s.cancelled_at is None]
    move_form = MoveForm()
    move_form.target.choices = choices((s.id, f"{s.starts_at:%Y-%m-%d}") for s in others)
    return {
        "session": session,
        "figures": dashboard.figures_for(session),
        "attendees": attendees.attendees(session.id, query),
        "waiting": attendees.waiting(session.id, query),
        "query": query,
        "capacity_form": forms.get("capacity_form") or CapacityForm(capacity=session.capacity),
        "duplicate_form": forms.get("duplicate_form")
        or DuplicateForm(starts_at=to_paris_input(organiser.default_duplicate_start(session))),
        "priority_form": PriorityForm(),
        "confirm_form": ConfirmForm(),
        "others": others,
    }


@bp.get("/sessions/<int:session_id>")
def session_page(session_id: int) -> str:
    """A session: its figures, attendees and waiting list (searchable), and actions."""
    waitlist.expire_before_read(session_id)
    session = get_session(session_id)
    context = session_context(session)
    if is_htmx_request() and request.headers.get("HX-Target") == "people":
        return render_template("admin/_people.html", **context)
    return render_template("admin/session.html", **context)


@bp.post("/sessions/<int:session_id>/capacity")
def change_capacity(session_id: int) -> Response | tuple[str, int]:
    """Raise (offers go out to the waiting list) or lower (never below booked) a capacity."""
    session = get_session(session_id)
    form = CapacityForm()
    if not form.validate_on_submit():
        return render_template(
            "admin/session.html", **session_context(session, capacity_form=form)
        ), 422
    try:
        waitlist.set_capacity(session_id, form.capacity.data, actor=actor())
    except DomainError as error:
        end_write(commit=False)
        form.capacity.errors = [error.message()]
        return render_template(
            "admin/session.html", **session_context(get_session(session_id), capacity_form=form)
        ), error.status
    flash(gettext("Capacité enregistrée."), "success")
    return redirect(url_for(".session_page", session_id=session_id), code=303)


@bp.route("/sessions/<int:session_id>/cancel", methods=["GET", "POST"])
def cancel_session(session_id: int) -> Response | str:
    """Confirm, then cancel a session: everyone booked or waiting is told by e-mail."""
    session = get_session(session_id)
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        count = organiser.cancel_session(session_id, actor=actor())
        flash(
            gettext("Séance annulée ; %(num)d personnes prévenues par e-mail.", num=count),
            "success",
        )
        return redirect(url_for(".session_page", session_id=session_id), code=303)
    return render_template("admin/confirm_cancel_session.html", session=session, form=form)


@bp.post("/sessions/<int:session_id>/duplicate")
def duplicate_session(session_id: int) -> Response | tuple[str, int]:
    """Repeat a session at another time (the exhibition slots repeat)."""
    session = get_session(session_id)
    form = DuplicateForm()
    if not form.validate_on_submit():
        return render_template(
            "admin/session.html", **session_context(session, duplicate_form=form)
        ), 422
    copy = organiser.duplicate_session(session_id, from_paris(form.starts_at.data), actor=actor())
    flash(gettext("Séance dupliquée."), "success")
    return redirect(url_for(".session_page", session_id=copy.id), code=303)


@bp.route("/sessions/<int:session_id>/bookings/new", methods=["GET", "POST"])
def new_booking(session_id: int) -> Response | tuple[str, int]:
    """Take a booking by phone or at the desk, through the same seat rules."""
    session = get_session(session_id)
    form = PhoneBookingForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                booking_service.book(
                    booking_service.BookingRequest(
                        session_id=session_id,
                        name=form.name.data,
                        email=form.email.data,
                        seats=form.seats.data,
                        phone=form.phone.data or "",
                        accessibility_needs=form.accessibility_needs.data or "",
                        source="phone",
                        by_organiser=True,
                    ),
                    actor=actor(),
                )
            except DomainError as error:
                end_write(commit=False)
                form.seats.errors = [error.message()]
                status = error.status
            else:
                flash(
                    gettext("Réservation enregistrée ; la confirmation part par e-mail."), "success"
                )
                return redirect(url_for(".session_page", session_id=session_id), code=303)
        else:
            status = 422
    return render_template("admin/booking_new.html", session=session, form=form), status


@bp.route("/bookings/<int:booking_id>/cancel", methods=["GET", "POST"])
def cancel_booking(booking_id: int) -> Response | str:
    """Confirm (GET), then cancel a booking or take a party off the list; seats are offered."""
    booking = organiser.booking_by_id(booking_id)
    if request.method == "GET":
        return render_template(
            "admin/confirm_cancel_booking.html", booking=booking, form=ConfirmForm()
        )
    if ConfirmForm().validate_on_submit():
        try:
            booking_service.cancel(booking.token, actor=actor())
        except DomainError as error:
            refused(error)
        else:
            flash(gettext("Réservation de %(name)s annulée.", name=booking.name), "success")
    return redirect(url_for(".session_page", session_id=booking.session_id), code=303)


@bp.route("/bookings/<int:booking_id>/move", methods=["GET", "POST"])
def move_booking(booking_id: int) -> Response | tuple[str, int]:
    """Move a confirmed booking to another session of the same event."""
    booking = organiser.booking_by_id(booking_id)
    form = MoveForm()
    targets = [
        s
        for s in booking.session.event.sessions
        if s.id != booking.session_id and s.cancelled_at is None
    ]
    form.target.choices = choices((s.id, str(s.id)) for s in targets)
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                organiser.move_booking(booking_id, form.target.data, actor=actor())
            except DomainError as error:
                end_write(commit=False)
                form.target.errors = [error.message()]
                status = error.status
            else:
                flash(
                    gettext("Réservation déplacée ; la nouvelle confirmation part par e-mail."),
                    "success",
                )
                return redirect(url_for(".session_page", session_id=form.target.data), code=303)
        else:
            status = 422
    return render_template("admin/move.html", booking=booking, targets=targets, form=form), status


@bp.post("/bookings/<int:booking_id>/offer")
def offer_seats(booking_id: int) -> Response:
    """Offer free seats to one waiting party by hand (manual events, or to skip the queue)."""
    booking = organiser.booking_by_id(booking_id)
    if ConfirmForm().validate_on_submit():
        try:
            organiser.offer_by_hand(booking_id, actor=actor())
        except DomainError as error:
            refused(error)
        else:
            flash(gettext("Places proposées à %(name)s par e-mail.", name=booking.name), "success")
    return redirect(url_for(".session_page", session_id=booking.session_id), code=303)


@bp.post("/bookings/<int:booking_id>/priority")
def change_priority(booking_id: int) -> Response | tuple[str, int]:
    """Change a waiting party's priority; a reason is required (it goes to the audit log)."""
    booking = organiser.booking_by_id(booking_id)
    form = PriorityForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return redirect(url_for(".session_page", session_id=booking.session_id), code=303)
    try:
        organiser.set_priority(booking_id, form.priority.data, form.reason.data, actor=actor())
    except DomainError as error:
        refused(error)
    else:
        flash(gettext("Priorité de %(name)s enregistrée.", name=booking.name), "success")
    return redirect(url_for(".session_page", session_id=booking.session_id), code=303)


def csv_response(body: str, filename: str) -> Response:
    """A CSV download."""
    response = make_response(body)
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/sessions/<int:session_id>/attendees.csv")
def attendees_csv(session_id: int) -> Response:
    """The attendee list as CSV (UTF-8 with BOM, semicolons)."""
    session = get_session(session_id)
    return csv_response(attendees.attendees_csv(session), f"inscrits-seance-{session_id}.csv")


@bp.get("/sessions/<int:session_id>/waitlist.csv")
def waitlist_csv(session_id: int) -> Response:
    """The waiting list as CSV, in queue order."""
    session = get_session(session_id)
    return csv_response(attendees.waitlist_csv(session), f"liste-attente-seance-{session_id}.csv")


@bp.get("/sessions/<int:session_id>/print")
def print_list(session_id: int) -> str:
    """A printable attendee list: the paper backup at the door."""
    session = get_session(session_id)
    return render_template(
        "admin/print.html", session=session, attendees=attendees.attendees(session_id)
    )


@bp.route("/messages", methods=["GET", "POST"])
def messages() -> Response | tuple[str, int]:
    """E-mail the attendees and/or waiting list of a session or a whole event."""
    session_id = id_arg(request.values, "session")
    event_id = id_arg(request.values, "event")
    if session_id:
        scope = [get_session(session_id)]
    elif event_id and (event := db.session.get(Event, event_id)):
        scope = [s for s in event.sessions if s.cancelled_at is None]
    else:
        scope = []
    form = MessageForm()
    status = 200
    if request.method == "POST":
        if not scope:
            flash(gettext("Choisissez une séance ou un événement."), "error")
            status = 422
        elif form.validate_on_submit():
            count = attendees.send_message(
                [s.id for s in scope],
                form.audience.data,
                form.subject.data,
                form.body.data,
                actor=actor(),
            )
            flash(gettext("Message envoyé à %(num)d réservations.", num=count), "success")
            return redirect(
                url_for(".session_page", session_id=scope[0].id)
                if len(scope) == 1
                else url_for(".events"),
                code=303,
            )
        else:
            status = 422
    events = db.session.scalars(select(Event).order_by(Event.title)).all()
    return render_template(
        "admin/messages.html",
        form=form,
        scope=scope,
        session_id=session_id,
        event_id=event_id,
        events=events,
    ), status


@bp.get("/events")
def events() -> str:
    """Every event with its sessions."""
    all_events = db.session.scalars(select(Event).order_by(Event.title)).unique().all()
    return render_template("admin/events.html", events=all_events)


def event_form(event: Event | None = None) -> EventForm:
    """The event form with its choices filled in."""
    form = EventForm(obj=event) if event else EventForm()
    form.kind.choices = choices((kind.value, kind_label(kind)) for kind in EventKind)
    form.venue_id.choices = choices(
        (v.id, v.name) for v in db.session.scalars(select(Venue).order_by(Venue.name))
    )
    form.difficulty.choices = choices(
        [("", "—"), *((code, difficulty_label(code)) for code in DIFFICULTIES)]
    )
    if event and request.method == "GET":
        form.kind.data = event.kind.value
    return form


@bp.route("/events/new", methods=["GET", "POST"])
@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
def edit_event(event_id: int | None = None) -> Response | tuple[str, int]:
    """Create or edit an event."""
    event = db.session.get(Event, event_id) if event_id else None
    if event_id and event is None:
        from flask import abort

        abort(404)
    form = event_form(event)
    if request.method == "POST":
        if form.validate_on_submit():
            saved = organiser.save_event(
                organiser.EventFields(
                    title=form.title.data.strip(),
                    kind=EventKind(form.kind.data),
                    venue_id=form.venue_id.data,
                    summary=form.summary.data or "",
                    description=form.description.data or "",
                    speakers=form.speakers.data or "",
                    organisers=form.organisers.data or "",
                    accessibility_notes=form.accessibility_notes.data or "",
                    distance_km=form.distance_km.data,
                    difficulty=form.difficulty.data or "",
                    waitlist_auto=form.waitlist_auto.data,
                ),
                actor=actor(),
                event_id=event_id,
            )
            flash(gettext("Événement enregistré."), "success")
            return redirect(url_for(".events") + f"#event-{saved.id}", code=303)
        return render_template("admin/event_form.html", form=form, event=event), 422
    return render_template("admin/event_form.html", form=form, event=event), 200


@bp.route("/events/<int:event_id>/sessions/new", methods=["GET", "POST"])
@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
def edit_session(
    event_id: int | None = None, session_id: int | None = None
) -> Response | tuple[str, int]:
    """Create or edit a session (times in Paris time)."""
    session = get_session(session_id) if session_id else None
    event = session.event if session else db.session.get(Event, event_id)
    if event is None:
        from flask import abort

        abort(404)
    form = SessionForm()
    if request.method == "GET" and session:
        form = SessionForm(
            starts_at=to_paris_input(session.starts_at),
            ends_at=to_paris_input(session.ends_at),
            capacity=session.capacity,
            booking_opens_at=to_paris_input(session.booking_opens_at),
            booking_closes_at=to_paris_input(session.booking_closes_at),
            note=session.note,
        )
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                saved = organiser.save_session(
                    event.id,
                    organiser.SessionFields(
                        starts_at=from_paris(form.starts_at.data),
                        ends_at=from_paris(form.ends_at.data),
                        capacity=form.capacity.data,
                        booking_opens_at=from_paris(form.booking_opens_at.data),
                        booking_closes_at=from_paris(form.booking_closes_at.data),
                        note=form.note.data or "",
                    ),
                    actor=actor(),
                    session_id=session_id,
                )
            except DomainError as error:
                end_write(commit=False)
                form.capacity.errors = [error.message()]
                status = error.status
            else:
                flash(gettext("Séance enregistrée."), "success")
                return redirect(url_for(".session_page", session_id=saved.id), code=303)
        else:
            status = 422
    return render_template(
        "admin/session_form.html", form=form, event=event, session=session
    ), status


@bp.get("/audit")
@require_roles(Role.ADMIN)
def audit_log() -> str:
    """The latest changes: who changed what, and when (admins only)."""
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(300)).all()
    return render_template("admin/audit.html", entries=entries)


@bp.route("/staff", methods=["GET", "POST"])
@require_roles(Role.ADMIN)
def staff() -> Response | tuple[str, int]:
    """Staff accounts: list and create (admins only)."""
    form = StaffForm()
    form.role.choices = choices((role.value, role.value) for role in Role)
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                accounts.create_user(
                    form.email.data,
                    Role(form.role.data),
                    form.password.data,
                    form.name.data or "",
                    actor=actor(),
                )
            except DomainError as error:
                end_write(commit=False)
                form.password.errors = [error.message()]
                status = error.status
            else:
                flash(gettext("Compte enregistré."), "success")
                return redirect(url_for(".staff"), code=303)
        else:
            status = 422
    users = db.session.scalars(select(StaffUser).order_by(StaffUser.email)).all()
    return render_template("admin/staff.html", form=form, users=users), status


@bp.get("/statistics")
def statistics() -> str:
    """Bookings over time, fill rates per session and per kind, no-shows: charts and tables."""
    from ..services import stats

    return render_template("admin/statistics.html", stats=stats.statistics(), percent=stats.percent)


@bp.get("/statistics.csv")
def statistics_csv() -> Response:
    """Per-session statistics as CSV (UTF-8 with BOM, semicolons); counts only, no names."""
    from ..services import stats

    return csv_response(stats.statistics_csv(), "statistiques-seances.csv")


# The collection: specimens and their pictures (the public side is app/gallery).

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
    from ..errors import error_response

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
    events_list = db.session.scalars(select(Event).order_by(Event.title)).unique().all()
    form.event_id.choices = choices([(0, "—"), *((e.id, e.title) for e in events_list)])
    if specimen is not None:
        del form.inventory_number, form.image, form.alt_text  # pictures have their own form
        if not posted:
            form.category.data = specimen.category.value
            form.event_id.data = specimen.event_id or 0
    elif not posted:  # a new specimen: most likely shown by the guided exhibition
        form.event_id.data = next((e.id for e in events_list if e.kind is EventKind.VISIT), 0)
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
                        name=form.name.data.strip(),
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
                    inventory_number=form.inventory_number.data if specimen is None else "",
                    image=picture,
                )
            except images.ImageRefused as error:
                end_write(commit=False)
                form.image.errors = [error.message()]
                status = error.status
            except (gallery.InventoryNumberTaken, gallery.InvalidInventoryNumber) as error:
                end_write(commit=False)
                form.inventory_number.errors = [error.message()]
                status = error.status
            except DomainError as error:
                end_write(commit=False)
                form.event_id.errors = [error.message()]
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
            end_write(commit=False)
            image_form.image.errors = [error.message()]
            status = error.status
        else:
            flash(gettext("Photo ajoutée."), "success")
            return redirect(url_for(".edit_specimen", specimen_id=specimen_id), code=303)
    return render_specimen_form(
        specimen_form(specimen, from_request=False), specimen, image_form
    ), (status)


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
        from flask import abort

        abort(400)
    specimen = gallery.remove_image(image_id, actor=actor())
    flash(gettext("Photo supprimée."), "success")
    return redirect(url_for(".edit_specimen", specimen_id=specimen.id), code=303)


# ---------------------------------------------------------------------------- personal data


@bp.route("/privacy/export", methods=["GET", "POST"])
@require_roles(Role.ADMIN)
def privacy_export() -> Response | tuple[str, int] | str:
    """Everything held about one e-mail address, as a JSON download (admins only, audited)."""
    import json

    from ..services import privacy
    from .forms import PrivacyExportForm

    form = PrivacyExportForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("admin/privacy_export.html", form=form), 422
        export = privacy.export_personal_data(form.email.data, actor=actor())
        response = make_response(json.dumps(export, ensure_ascii=False, indent=2))
        response.headers["Content-Type"] = "application/json; charset=utf-8"
        digest = privacy.address_digest(export["email"])
        response.headers["Content-Disposition"] = (
            f'attachment; filename="donnees-personnelles-{digest}.json"'
        )
        response.headers["Cache-Control"] = "no-store"
        return response
    return render_template("admin/privacy_export.html", form=form)
