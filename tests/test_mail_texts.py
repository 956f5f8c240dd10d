"""The organisers' own words in the mails: edited per event, previewed, refused, escaped.

Through the real SMTP server (aiosmtpd) and the dashboard's forms.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, EventSession, MailText
from app.services import booking as booking_service
from app.services.mail import send_due

from .helpers import form_fields
from .test_mail import parts

pytestmark = pytest.mark.smtp

EDITED = {
    "subject_fr": "Votre place pour {event}",
    "body_fr": "Rendez-vous {meeting_point}, {name}.\n\nPrévoyez de bonnes chaussures.",
    "subject_en": "Your seat for {event}",
    "body_en": "Meet at {meeting_point}, {name}.\n\nBring good shoes.",
}


def event_of(app, session_id: int) -> int:
    with app.app_context():
        return db.session.get(EventSession, session_id).event_id


def edit(client, path: str, **fields: str):
    """Post the mail editor's form (with its CSRF token) and return the response."""
    token = form_fields(client.get(path).get_data(as_text=True))["csrf_token"]
    return client.post(path, data={"csrf_token": token, "action": "save", **fields})


def book(app, session_id: int, name: str, email: str, locale: str = "fr") -> None:
    with app.app_context():
        booking_service.book(
            booking_service.BookingRequest(session_id, name, email, 2, locale=locale)
        )
        db.session.commit()
        send_due()  # as cron would: the test's own context sends nothing after its commit


@pytest.fixture
def two_events(app, make_session):
    """A hike with practical details, and a film left with the default words."""
    hike = make_session(title="Randonnée à Vialas", starts_in=timedelta(days=3))
    film = make_session(title="Ciné-débat", starts_in=timedelta(days=3))
    with app.app_context():
        event = db.session.get(EventSession, hike).event
        event.meeting_point = "parking de la mairie"
        event.meeting_point_en = "the town hall car park"
        db.session.commit()
    return hike, film


def test_an_edited_confirmation_arrives_with_its_words_and_everything_else(
    app, client, organiser, smtp, two_events
):
    hike, film = two_events
    response = edit(client, f"/admin/events/{event_of(app, hike)}/mails/confirmed", **EDITED)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]

    book(app, hike, "Marie Curie", "marie@example.fr")
    book(app, hike, "Ada Lovelace", "ada@example.org", locale="en")
    book(app, film, "Paul Dirac", "paul@example.fr")
    smtp.wait_for(3)

    french = smtp.wait_for_mail("marie@example.fr", "Votre place pour Randonnée à Vialas")
    found = parts(french)
    assert "Rendez-vous parking de la mairie, Marie Curie." in found["text"]
    assert "Prévoyez de bonnes chaussures." in found["html"]
    # What makes the mail work is still there: manage link, QR code, calendar file.
    assert "/b/" in found["text"] and 'href="http' in found["html"]
    assert "qr" in found and found["ics"].startswith(b"BEGIN:VCALENDAR")
    assert "cid:ticket-qr" in found["html"]

    english = parts(smtp.wait_for_mail("ada@example.org", "Your seat for Randonnée à Vialas"))
    assert "Meet at the town hall car park, Ada Lovelace." in english["text"]
    assert "Rendez-vous" not in english["text"]

    other = smtp.wait_for_mail("paul@example.fr", "Réservation confirmée")
    assert "Nous avons le plaisir de vous confirmer" in parts(other)["text"]

    with app.app_context():
        [entry] = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "mail_text.saved")
        ).all()
        assert entry.actor == "organiser@mines-ales.fr" and entry.at is not None


def test_an_unknown_placeholder_is_refused_at_save(app, client, organiser, two_events):
    hike, _ = two_events
    path = f"/admin/events/{event_of(app, hike)}/mails/confirmed"
    response = edit(client, path, **{**EDITED, "body_en": "Hello {nom}, see you {date}."})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "«\u202f{nom}\u202f» n’est pas un champ connu." in page
    assert 'id="body_en-error"' in page
    with app.app_context():
        assert db.session.scalars(select(MailText)).all() == []


def test_html_and_template_syntax_arrive_as_plain_escaped_text(
    app, client, organiser, smtp, two_events
):
    hike, _ = two_events
    hostile = (
        "<b>Gras</b> <script>alert(1)</script> {{ 7*7 }} {% if true %}oui{% endif %} "
        "{name.__class__} {{ config }}"
    )
    response = edit(
        client,
        f"/admin/events/{event_of(app, hike)}/mails/confirmed",
        **{**EDITED, "body_fr": hostile},
    )
    assert response.status_code == 303
    book(app, hike, "Marie Curie", "marie@example.fr")
    found = parts(smtp.wait_for_mail("marie@example.fr", "Votre place"))
    assert hostile in found["text"]
    html = found["html"]
    assert "&lt;b&gt;Gras&lt;/b&gt; &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>" not in html and "<b>Gras" not in html
    assert "{{ 7*7 }}" in html and "49" not in html
    assert "{% if true %}oui{% endif %}" in html.replace("&#39;", "'")
    assert "SECRET_KEY" not in html and "&lt;class" not in html


def test_the_preview_shows_a_real_booking_in_both_languages(app, client, organiser, two_events):
    hike, _ = two_events
    book(app, hike, "Marie Curie", "marie@example.fr")
    path = f"/admin/events/{event_of(app, hike)}/mails/confirmed"
    token = form_fields(client.get(path).get_data(as_text=True))["csrf_token"]
    response = client.post(path, data={"csrf_token": token, "action": "preview", **EDITED})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Rendez-vous parking de la mairie, Marie Curie." in page
    assert "Meet at the town hall car park, Marie Curie." in page
    with app.app_context():
        assert db.session.scalars(select(MailText)).all() == []  # a preview saves nothing


def test_reset_brings_the_weeks_words_back(app, client, organiser, smtp, two_events):
    hike, _ = two_events
    event_id = event_of(app, hike)
    week = edit(
        client, "/admin/mails/confirmed", subject_fr="Bienvenue à {event}", body_fr="Merci !"
    )
    assert week.status_code == 303
    assert edit(client, f"/admin/events/{event_id}/mails/confirmed", **EDITED).status_code == 303
    path = f"/admin/events/{event_id}/mails/confirmed"
    token = form_fields(client.get(path).get_data(as_text=True))["csrf_token"]
    assert client.post(path + "/reset", data={"csrf_token": token}).status_code == 303
    book(app, hike, "Marie Curie", "marie@example.fr")
    assert smtp.wait_for_mail("marie@example.fr", "Bienvenue à Randonnée à Vialas")
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.action.like("mail_text.%"))
        ).all()
        assert actions == ["mail_text.saved", "mail_text.saved", "mail_text.reset"]


def test_only_organisers_and_admins_edit(app, client, staff_login, two_events):
    hike, _ = two_events
    staff_login(client, "checkin")
    path = f"/admin/events/{event_of(app, hike)}/mails/confirmed"
    assert client.get(path).status_code == 403
    assert client.post(path, data=EDITED).status_code in (400, 403)
    with app.app_context():
        assert db.session.scalars(select(MailText)).all() == []


def test_practical_details_on_the_session_page(app, client, organiser, two_events):
    hike, _ = two_events
    event_id = event_of(app, hike)
    page = client.get(f"/admin/events/{event_id}/mails")
    token = form_fields(page.get_data(as_text=True))["csrf_token"]
    response = client.post(
        f"/admin/events/{event_id}/practical",
        data={
            "csrf_token": token,
            "meeting_point": "Parking de la mairie",
            "what_to_bring": "Chaussures de marche",
            "access_info": "Navette depuis la gare",
        },
    )
    assert response.status_code == 303
    public = client.get(f"/sessions/{hike}").get_data(as_text=True)
    for text in ("Parking de la mairie", "Chaussures de marche", "Navette depuis la gare"):
        assert text in public


def test_a_message_to_attendees_has_placeholders_per_recipient_in_their_language(
    app, client, organiser, smtp, two_events
):
    hike, _ = two_events
    book(app, hike, "Marie Curie", "marie@example.fr")
    book(app, hike, "Ada Lovelace", "ada@example.org", locale="en")
    smtp.wait_for(2)
    page = client.get(f"/admin/messages?session={hike}").get_data(as_text=True)
    data = {
        "csrf_token": form_fields(page, "/admin/messages")["csrf_token"],
        "session": str(hike),
        "audience": "attendees",
        "subject_fr": "Changement pour {event}",
        "body_fr": "Bonjour {name}, rendez-vous {meeting_point}.",
        "subject_en": "Change for {event}",
        "body_en": "{name}: meet at {meeting_point}.",
    }
    preview = client.post("/admin/messages", data={**data, "action": "preview"})
    assert "rendez-vous parking de la mairie" in preview.get_data(as_text=True)
    refused = client.post("/admin/messages", data={**data, "body_en": "{prenom}"})
    assert refused.status_code == 422 and "{prenom}" in refused.get_data(as_text=True)
    assert client.post("/admin/messages", data=data).status_code == 303
    french = parts(smtp.wait_for_mail("marie@example.fr", "Minér’Alès\u202f: Changement pour"))
    english = parts(smtp.wait_for_mail("ada@example.org", "Minér’Alès: Change for"))
    assert "Bonjour Marie Curie, rendez-vous parking de la mairie." in french["text"]
    assert "Ada Lovelace: meet at the town hall car park." in english["text"]


def test_every_kinds_editor_shows_its_preview(app, client, organiser, two_events):
    hike, _ = two_events
    book(app, hike, "Marie Curie", "marie@example.fr")
    event_id = event_of(app, hike)
    for kind in ("confirmed", "waiting", "offer", "expired", "cancelled", "reminder", "message"):
        for path in (f"/admin/events/{event_id}/mails/{kind}", f"/admin/mails/{kind}"):
            response = client.get(path)
            assert response.status_code == 200, path
            assert "Marie Curie" in response.get_data(as_text=True), path
    assert client.get(f"/admin/events/{event_id}/mails/unknown").status_code == 404
