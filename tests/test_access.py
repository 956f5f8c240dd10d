"""Every staff route, found in app.url_map, is protected: a route added later unprotected fails here."""

from __future__ import annotations

import io
from typing import NamedTuple

import pytest

from app.extensions import db
from app.models import Booking, EventSession, SpecimenCategory
from app.services import booking as booking_service
from app.services import checkin, gallery, images

from .helpers import form_fields

STAFF_BLUEPRINTS = ("admin.", "checkin.")
# Who may use each area; admins may use everything.
AREA_ROLES = {"admin.": {"organiser", "admin"}, "checkin.": {"checkin", "organiser", "admin"}}
ADMIN_ONLY = {"admin.audit_log", "admin.staff", "admin.privacy_export"}


def staff_rules(app):
    """The URL rules of the staff blueprints."""
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith(STAFF_BLUEPRINTS)]


def allowed_roles(endpoint: str) -> set[str]:
    """The roles that may open ``endpoint``."""
    if endpoint in ADMIN_ONLY:
        return {"admin"}
    return next(roles for prefix, roles in AREA_ROLES.items() if endpoint.startswith(prefix))


@pytest.fixture
def sample_ids(app, make_session):
    """Ids to fill rule arguments with: a session, its event, a booking."""
    session_id = make_session(capacity=10)
    with app.app_context():
        booking = booking_service.book(
            booking_service.BookingRequest(session_id, "Ada", "ada@example.fr", 2)
        )
        db.session.commit()
        event_id = db.session.get(EventSession, session_id).event_id
        entry = checkin.check_in(session_id, booking_id=booking.id, seats=1, actor="setup")
        standby = checkin.add_standby(session_id, 10, "Nobody", actor="setup")  # waits: 9 free
        db.session.commit()
        from app.services.reminders import add_rule

        rule = add_rule(event_id, 180, actor="setup")
        db.session.commit()
        from app.models import QuestionKind
        from app.services.questions import QuestionFields, add_question

        question = add_question(
            event_id, QuestionFields(QuestionKind.TEXT, "Pointure"), actor="setup"
        )
        db.session.commit()
        specimen = gallery.save_specimen(
            gallery.SpecimenFields(name="Galène", category=SpecimenCategory.ORE),
            actor="setup",
            image=gallery.NewImage(images.prepare(tiny_png()), "Cubes gris de galène"),
        )
        db.session.commit()
        return {
            "session_id": session_id,
            "event_id": event_id,
            "booking_id": booking.id,
            "check_in_id": entry.id,
            "entry_id": standby.id,
            "specimen_id": specimen.id,
            "image_id": specimen.images[0].id,
            "rule_id": rule.id,
            "question_id": question.id,
            "kind": "confirmed",
            "size": "thumb",
            "digest": specimen.images[0].digest,
            "year": db.session.get(EventSession, session_id).event.edition,
        }


def tiny_png() -> bytes:
    """A picture small enough for any form."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (90, 90, 96)).save(buffer, "PNG")
    return buffer.getvalue()


def build(app, rule, ids) -> str:
    """A concrete URL for ``rule``; unknown arguments fail the test (teach it the new one)."""
    missing = set(rule.arguments) - set(ids)
    assert not missing, f"{rule.endpoint}: teach test_access.py the argument(s) {missing}"
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **{name: ids[name] for name in rule.arguments})


def test_there_are_staff_routes_to_check(app):
    endpoints = {rule.endpoint for rule in staff_rules(app)}
    assert {"admin.overview", "admin.session_page", "checkin.index"} <= endpoints


def test_anonymous_visitors_are_sent_to_login(app, client, sample_ids):
    token = form_fields(client.get(f"/sessions/{sample_ids['session_id']}").get_data(as_text=True))[
        "csrf_token"
    ]
    for rule in staff_rules(app):
        url = build(app, rule, sample_ids)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            data = {"csrf_token": token} if method == "POST" else None
            response = client.open(url, method=method, data=data)
            assert response.status_code == 302, (method, url, response.status_code)
            assert response.headers["Location"].startswith("/login?next="), (method, url)


class Outcome(NamedTuple):
    """What a POST answers: its status, where a 303 sends, and what the person is told.

    ``says`` is a flashed (category, message) for a redirect, a text of the page otherwise.
    """

    status: int
    location: str | None
    says: tuple[str, str] | str


# What an allowed role's POST carrying only the CSRF token does, route by route, in the
# order of app.url_map, on the sample data (the booking is confirmed, so it cannot be
# offered seats; the session has free seats, so the door's standby lets people straight in).
# A POST-only staff route added without a line here fails the test below.
ALLOWED_POST_OUTCOMES = {
    "admin.change_capacity": Outcome(422, None, "Indiquez une capacité."),
    "admin.duplicate_session": Outcome(422, None, "Indiquez une date et une heure."),
    "admin.offer_seats": Outcome(
        303,
        "/admin/sessions/{session_id}",
        ("error", "Cette personne n’est pas (ou plus) sur la liste d’attente."),
    ),
    "admin.change_priority": Outcome(
        303, "/admin/sessions/{session_id}", ("error", "Indiquez une priorité.")
    ),
    "admin.add_specimen_image": Outcome(422, None, "Choisissez une image à envoyer."),
    "admin.specimen_display": Outcome(
        303,
        "/admin/specimens#specimen-{specimen_id}",
        ("error", "Choisissez de présenter ou de masquer le spécimen."),
    ),
    "admin.remove_specimen_image": Outcome(
        303, "/admin/specimens/{specimen_id}/edit", ("success", "Photo supprimée.")
    ),
    # Empty opening time: open now, which the sample's sessions already are.
    "admin.event_opening": Outcome(
        303,
        "/admin/events/{event_id}/series",
        ("success", "Rien à changer\u202f: ces séances ouvrent déjà à ce moment."),
    ),
    # A bad day with neither a day nor an event: nothing to cancel, said next to the day.
    "admin.confirm_cancel_day": Outcome(
        422, None, "Choisissez une journée, une activité, ou les deux."
    ),
    "admin.new_edition": Outcome(
        422, None, "Indiquez l’année de l’édition à recopier, par exemple 2026."
    ),
    "admin.open_edition": Outcome(
        303,
        "/admin/editions#edition-{year}",
        ("success", "Rien à changer\u202f: ces séances ouvrent déjà à ce moment."),
    ),
    "admin.save_practical": Outcome(
        303, "/admin/events/{event_id}/mails", ("success", "Infos pratiques enregistrées.")
    ),
    "admin.add_reminder": Outcome(422, None, "Indiquez un nombre."),
    "admin.remove_reminder": Outcome(
        303, "/admin/events/{event_id}/mails#reminders", ("success", "Rappel supprimé.")
    ),
    "admin.reset_week_mail": Outcome(
        303, "/admin/mails/confirmed", ("success", "Texte par défaut rétabli.")
    ),
    "admin.reset_mail": Outcome(
        303, "/admin/events/{event_id}/mails/confirmed", ("success", "Texte par défaut rétabli.")
    ),
    # No direction sent: nothing moves.
    "admin.move_question": Outcome(
        303,
        "/admin/events/{event_id}/questions",
        ("error", "Choisissez de monter ou de descendre la question."),
    ),
    # Nobody answered the sample's question: it is deleted, not only retired.
    "admin.remove_question": Outcome(
        303, "/admin/events/{event_id}/questions", ("success", "Question supprimée.")
    ),
    "checkin.scan": Outcome(
        303, "/checkin/sessions/{session_id}", ("error", "Saisissez ou scannez un code de billet.")
    ),
    "checkin.tap": Outcome(
        303,
        "/checkin/sessions/{session_id}",
        ("success", "Entrée enregistrée\u202f: Ada, 1 place."),
    ),
    "checkin.undo": Outcome(
        303, "/checkin/sessions/{session_id}", ("success", "Entrée annulée\u202f: Ada.")
    ),
    # The sample's standby party waits: a walk-in may not pass it (it joins the queue).
    "checkin.walk_in": Outcome(
        303,
        "/checkin/sessions/{session_id}",
        (
            "error",
            "10 places sont déjà demandées dans la file d’attente de la porte\u202f: "
            "ajoutez ce groupe à la file, il entrera à son tour.",
        ),
    ),
    "checkin.standby": Outcome(
        303,
        "/checkin/sessions/{session_id}",
        ("success", "Des places étaient libres\u202f: entrée enregistrée."),
    ),
    # The sample's booking is confirmed, not waiting: nothing to queue.
    "checkin.join_standby": Outcome(
        303,
        "/checkin/sessions/{session_id}",
        (
            "error",
            "Ce billet n’est pas sur la liste d’attente de cette séance\u202f: cherchez-le dans la liste.",
        ),
    ),
    "checkin.leave_standby": Outcome(
        303, "/checkin/sessions/{session_id}", ("success", "Retiré de la file de la porte.")
    ),
    # The tablet's sync takes JSON: a form with only the token is no batch.
    "checkin.sync": Outcome(
        422, None, "Envoi illisible\u202f: aucune action n’a été enregistrée. Rechargez la page."
    ),
}


def assert_outcome(client, endpoint: str, response, ids) -> None:
    """The answer of an allowed POST is the one ALLOWED_POST_OUTCOMES gives for its route."""
    assert endpoint in ALLOWED_POST_OUTCOMES, (
        f"{endpoint}: add its expected answer to ALLOWED_POST_OUTCOMES in test_access.py"
    )
    expected = ALLOWED_POST_OUTCOMES[endpoint]
    with client.session_transaction() as cookie_session:
        flashed = cookie_session.pop("_flashes", [])  # the redirect is not followed
    assert response.status_code == expected.status, (endpoint, response.status_code)
    if expected.location is None:
        assert "Location" not in response.headers, endpoint
        assert expected.says in response.get_data(as_text=True), endpoint
    else:
        assert response.headers["Location"] == expected.location.format(**ids), endpoint
        assert expected.says in [(kind, str(message)) for kind, message in flashed], (
            endpoint,
            flashed,
        )


def test_every_post_only_staff_route_has_its_expected_answer(app):
    post_only = {rule.endpoint for rule in staff_rules(app) if "GET" not in rule.methods}
    assert post_only == set(ALLOWED_POST_OUTCOMES)


@pytest.mark.parametrize("role", ["checkin", "organiser", "admin"])
def test_each_role_gets_exactly_its_pages(app, client, staff_login, sample_ids, role):
    staff_login(client, role)
    token = form_fields(client.get("/login", follow_redirects=True).get_data(as_text=True)).get(
        "csrf_token"
    )
    for rule in staff_rules(app):
        url = build(app, rule, sample_ids)
        allowed = role in allowed_roles(rule.endpoint)
        if "GET" in rule.methods:
            response = client.get(url)
            expected = 200 if allowed else 403
            assert response.status_code == expected, (role, url, response.status_code)
        else:
            response = client.post(url, data={"csrf_token": token} if token else {})
            if allowed:
                assert response.status_code != 403, (role, url)
                assert_outcome(client, rule.endpoint, response, sample_ids)
            else:
                assert response.status_code == 403, (role, url, response.status_code)
    with app.app_context():  # no POST above changed seats without a real form
        assert db.session.get(Booking, sample_ids["booking_id"]).status.value in (
            "confirmed",
            "cancelled",
        )


def test_the_login_page_and_logout_are_public(client):
    assert client.get("/login").status_code == 200
    assert client.get("/logout").status_code == 405  # signing out is a POST


# ------------------------------------------------------------------------------------
# Every route of every blueprint, found in app.url_map: CSRF on every POST, the security
# headers on every answer (pages, errors, redirects, static files, 304s).

# Values for rule arguments the sample data does not provide (the pages may well be 404s:
# their headers and their CSRF check are what is tested).
ARGUMENT_DEFAULTS = {
    "size": "thumb",
    "language": "fr",
    "digest": "0123456789",
    "filename": "css/app.css",
    "inventory_number": "MIN-0001",
}


def any_url(app, rule, ids) -> str:
    """A concrete URL for any rule: sample ids where known, harmless values elsewhere."""
    from flask import url_for
    from werkzeug.routing import IntegerConverter

    values = {}
    for name in rule.arguments:
        if name in ids:
            values[name] = ids[name]
        elif name in ARGUMENT_DEFAULTS:
            values[name] = ARGUMENT_DEFAULTS[name]
        elif isinstance(rule._converters.get(name), IntegerConverter):
            values[name] = 1
        else:
            values[name] = "x" * 43
    with app.test_request_context():
        return url_for(rule.endpoint, **values)


def snapshot(app) -> str:
    """Every row of every table: to prove that a refused request changed nothing."""
    with app.app_context(), db.engine.connect() as connection:
        return "\n".join(
            repr(row)
            for table in db.metadata.sorted_tables
            if table.name != "staff_user"  # signing in records the time of the sign-in
            for row in connection.execute(table.select().order_by(*table.primary_key.columns))
        )


@pytest.fixture
def every_id(app, sample_ids):
    """The sample ids plus a booking's secret token, for the public booking routes."""
    with app.app_context():
        token = db.session.get(Booking, sample_ids["booking_id"]).token
    return {**sample_ids, "token": token}


def post_rules(app):
    """Every rule that accepts a POST, in every blueprint."""
    return [rule for rule in app.url_map.iter_rules() if "POST" in rule.methods]


def test_every_post_route_refuses_a_request_without_its_csrf_token(
    app, client, staff_login, every_id
):
    staff_login(client, "admin")  # past every role check: the CSRF check is what answers
    before = snapshot(app)
    rules = post_rules(app)
    assert {"public.session_detail", "public.erase_booking", "auth.login"} <= {
        rule.endpoint for rule in rules
    }
    for rule in rules:
        url = any_url(app, rule, every_id)
        response = client.post(url, data={"seats": "1", "name": "x", "email": "x@example.fr"})
        assert response.status_code == 400, (url, response.status_code)
        assert "jeton de sécurité" in response.get_data(as_text=True), url
        forged = client.post(url, headers={"HX-Request": "true", "X-CSRFToken": "forged"})
        assert forged.status_code == 400, (url, forged.status_code)
    assert snapshot(app) == before


SECURITY_HEADERS = ("X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options")


def assert_security_headers(response, path: str) -> None:
    """The headers every answer of the site carries."""
    csp = response.headers.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp, path
    if path.startswith("/embed/"):  # the widget: framed by EMBED_ORIGINS (tests/test_embed.py)
        assert "frame-ancestors 'self'" in csp, path
        assert "X-Frame-Options" not in response.headers, path
    else:
        assert "frame-ancestors 'none'" in csp, path
        assert response.headers.get("X-Frame-Options") == "DENY", path
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp, path
    assert response.headers.get("X-Content-Type-Options") == "nosniff", path
    assert response.headers.get("Referrer-Policy") == "same-origin", path
    policy = response.headers.get("Permissions-Policy", "")
    door = path.startswith("/checkin/")
    assert ("camera=(self)" if door else "camera=()") in policy, path
    assert "microphone=()" in policy and "geolocation=()" in policy, path


def test_every_answer_carries_the_security_headers(app, client, staff_login, every_id):
    staff_login(client, "admin")
    seen = set()
    for rule in app.url_map.iter_rules():
        url = any_url(app, rule, every_id)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert_security_headers(response, url)
            seen.add(response.status_code)
    anonymous = app.test_client()
    extra = [
        anonymous.get("/admin/"),  # redirect to the sign-in page
        anonymous.get("/checkin/"),
        anonymous.get("/does-not-exist"),  # 404
        anonymous.put("/"),  # 405
        anonymous.get("/?kind=nonsense"),  # 400
        anonymous.get("/sessions/99999999999999999999"),  # an id no database holds: 404
        anonymous.get("/static/css/app.css"),
    ]
    etag = extra[-1].headers.get("ETag")
    extra.append(anonymous.get("/static/css/app.css", headers={"If-None-Match": etag}))
    poll = anonymous.get("/live/seats")
    extra += [poll, anonymous.get("/live/seats", headers={"If-None-Match": poll.headers["ETag"]})]
    for response in extra:
        assert_security_headers(response, response.request.path)
        seen.add(response.status_code)
    assert {200, 302, 304, 400, 404, 405} <= seen


# ------------------------------------------------------------------------------------
# Error paths keep the role check: a body over the size limit, sent by someone who may not
# use the page, gets the same answer as any other request of theirs there.

SECRET_SPECIMEN = {
    "name": "Or natif de la réserve",
    "locality": "Galerie fermée n° 7",
    "description": "Pépite prêtée par un collectionneur privé.",
}


@pytest.fixture
def hidden_specimen(app):
    """A specimen kept off the public gallery, with details nobody else should read."""
    with app.app_context():
        specimen = gallery.save_specimen(
            gallery.SpecimenFields(
                category=SpecimenCategory.MINERAL, on_display=False, **SECRET_SPECIMEN
            ),
            actor="setup",
            image=gallery.NewImage(images.prepare(tiny_png()), "Pépite d’or"),
        )
        db.session.commit()
        return specimen.id


def oversized_post(client, app, url: str, token: str):
    """A multipart POST over ``MAX_CONTENT_LENGTH`` (and over the organisers' picture room)."""
    limit = max(app.config["MAX_CONTENT_LENGTH"], 2 * app.config["SPECIMEN_IMAGE_MAX_BYTES"])
    return client.post(
        url,
        data={"csrf_token": token, "image": (io.BytesIO(b"\0" * (limit + 200_000)), "big.png")},
    )


def specimen_upload_urls(specimen_id: int) -> list[str]:
    """The specimen pages that accept a picture."""
    return [
        f"/admin/specimens/{specimen_id}/edit",
        f"/admin/specimens/{specimen_id}/images",
        "/admin/specimens/new",
    ]


def assert_no_secret(response, url: str) -> None:
    """Nothing of the hidden specimen in the answer."""
    html = response.get_data(as_text=True)
    for value in SECRET_SPECIMEN.values():
        assert value not in html, (url, value)


def test_door_staff_posting_too_much_to_a_specimen_page_get_403_and_no_detail(
    app, client, staff_login, hidden_specimen
):
    staff_login(client, "checkin")
    token = form_fields(client.get("/checkin/").get_data(as_text=True)).get("csrf_token", "")
    for url in specimen_upload_urls(hidden_specimen):
        response = oversized_post(client, app, url, token)
        assert response.status_code == 403, (url, response.status_code)
        assert_no_secret(response, url)


def test_anonymous_posting_too_much_to_a_specimen_page_goes_to_login(app, client, hidden_specimen):
    for url in specimen_upload_urls(hidden_specimen):
        response = oversized_post(client, app, url, "")
        assert response.status_code == 302, (url, response.status_code)
        assert response.headers["Location"].startswith("/login?next="), url
        assert_no_secret(response, url)


def test_organisers_posting_too_much_still_get_the_form_with_the_reason(
    app, client, staff_login, hidden_specimen
):
    staff_login(client, "organiser")
    page = client.get(f"/admin/specimens/{hidden_specimen}/edit")
    token = form_fields(page.get_data(as_text=True))["csrf_token"]
    response = oversized_post(client, app, f"/admin/specimens/{hidden_specimen}/edit", token)
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert SECRET_SPECIMEN["name"] in html and "trop lourde" in html


@pytest.mark.app_config(MAX_CONTENT_LENGTH=4096)
@pytest.mark.parametrize("role", [None, "checkin", "organiser"])
def test_every_staff_route_keeps_its_role_check_on_a_body_too_large(
    app, client, staff_login, sample_ids, role
):
    if role:
        staff_login(client, role)
    token = form_fields(client.get("/login", follow_redirects=True).get_data(as_text=True)).get(
        "csrf_token", ""
    )
    body = {"csrf_token": token, "filler": "x" * 10_000}
    for rule in staff_rules(app):
        if "POST" not in rule.methods:
            continue
        url = build(app, rule, sample_ids)
        response = client.post(url, data=body)
        if role is None:
            assert response.status_code == 302, (url, response.status_code)
        elif role in allowed_roles(rule.endpoint):
            assert response.status_code not in (302, 403), (role, url, response.status_code)
            if rule.endpoint not in {"admin.edit_specimen", "admin.add_specimen_image"}:
                assert response.status_code == 413, (role, url, response.status_code)
        else:
            assert response.status_code == 403, (role, url, response.status_code)
