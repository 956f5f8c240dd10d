"""Session pages: the parts every visitor shares are rendered once per version.

A crowd refused on a full session gets the page back with only the booking panel
rendered anew; and whatever changes what a visitor must see (seats, an organiser's edit,
a specimen hidden, the language) shows on the very next page.
"""

from __future__ import annotations

import re
from contextlib import contextmanager

from flask import template_rendered

from app.extensions import db
from app.fragments import FragmentStore
from app.models import Event, EventKind, SpecimenCategory
from app.services import booking as booking_service
from app.services import gallery, organiser

from .gallery_helpers import add_specimen, event_of

SHARED_PARTS = {
    "public/_session_header.html",
    "public/_session_details.html",
    "public/_session_related.html",
}


@contextmanager
def templates_rendered(app):
    """Collect the names of the templates rendered inside the block."""
    names: list[str] = []

    def record(_sender, template, **_extra):
        names.append(template.name)

    template_rendered.connect(record, app)
    try:
        yield names
    finally:
        template_rendered.disconnect(record, app)


def page(client, session_id: int, **headers) -> str:
    """The session page's HTML."""
    response = client.get(f"/sessions/{session_id}", headers=headers)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def book(app, session_id: int, seats: int, email: str = "autre@example.fr") -> None:
    """Someone else books through the service."""
    with app.app_context():
        booking_service.book(
            booking_service.BookingRequest(
                session_id=session_id, name="Autre Personne", email=email, seats=seats
            )
        )
        db.session.commit()


def test_a_refused_booking_renders_only_the_booking_panel_again(
    app, client, make_session, book_form
):
    session_id = make_session(capacity=1)
    book(app, session_id, 1)
    fields = book_form(session_id)  # the page is rendered once, in full

    with templates_rendered(app) as names:
        response = client.post(
            f"/sessions/{session_id}",
            data={**fields, "name": "Léa", "email": "lea@example.fr", "seats": "1"},
        )

    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Cette séance est complète." in html
    assert "Exposition commentée" in html  # the shared parts are in the page...
    assert 'value="Léa"' in html
    # ...without being rendered again, nor the page around them: only the panel is.
    assert names == ["public/_booking_panel.html"]


def test_seats_taken_by_someone_else_show_on_the_next_page(app, client, make_session):
    session_id = make_session(capacity=12)
    assert 'data-state="open:12"' in page(client, session_id)

    book(app, session_id, 3)

    with templates_rendered(app) as names:
        html = page(client, session_id)
    assert set(names) >= SHARED_PARTS
    assert 'data-state="open:9"' in html  # the seats badge in the shared header
    assert 'data-state="open:12"' not in html


def test_an_organisers_edit_shows_at_once(app, client, make_session):
    session_id = make_session(capacity=12)
    assert "Exposition commentée" in page(client, session_id)
    with app.app_context():
        event = db.session.get(Event, event_of(app, session_id))
        organiser.save_event(
            organiser.EventFields(
                title="Minéraux des Cévennes",
                kind=EventKind.VISIT,
                venue_id=event.venue_id,
                description="Une visite revue par l’équipe.",
            ),
            actor="organiser@mines-ales.fr",
            event_id=event.id,
        )
        db.session.commit()

    html = page(client, session_id)
    assert "Minéraux des Cévennes" in html
    assert "Une visite revue par l’équipe." in html
    assert "Exposition commentée" not in html


def test_a_hidden_specimen_leaves_the_session_page_at_once(app, client, make_session):
    session_id = make_session(capacity=12)
    number = add_specimen(
        app, "Galène", SpecimenCategory.ORE, event_id=event_of(app, session_id), picture=False
    )
    assert "Galène" in page(client, session_id)
    with app.app_context():
        specimen = gallery.get_public(number)
        gallery.set_on_display(specimen.id, False, actor="organiser@mines-ales.fr")
        db.session.commit()

    assert "Galène" not in page(client, session_id)


def test_each_language_gets_its_own_parts(client, make_session):
    session_id = make_session(capacity=12)
    assert "Capacité" in page(client, session_id)

    english = page(client, session_id, **{"Accept-Language": "en"})

    assert "Capacity" in english
    assert "Capacité" not in english


def without_tokens(html: str) -> str:
    """The page with its CSRF token and form nonce, which change at every page, blanked."""
    html = re.sub(r'(name="(?:csrf_token|nonce)" value=")[^"]+', r"\1…", html)
    return re.sub(r'("X-CSRFToken": ")[^"]+', r"\1…", html)


def test_the_page_around_the_panel_is_the_page_rendered_whole(app, client, make_session, book_form):
    session_id = make_session(capacity=1)
    book(app, session_id, 1)
    refusal = {"name": "Léa <L>", "email": "lea@example.fr", "seats": "1"}

    def pages() -> list[str]:
        shown = []
        for language in ("fr", "en"):
            fields = book_form(session_id)
            shown.append(page(client, session_id, **{"Accept-Language": language}))
            response = client.post(
                f"/sessions/{session_id}",
                data={**fields, **refusal},
                headers={"Accept-Language": language},
            )
            assert response.status_code == 409
            shown.append(response.get_data(as_text=True))
        return [without_tokens(html) for html in shown]

    kept = pages()
    pages()  # the same again, from the kept shells
    with templates_rendered(app) as names:
        again = pages()
    assert set(names) == {"public/_booking_panel.html"}
    with app.app_context():
        app.extensions["minerales_fragments"] = FragmentStore(0)  # every page rendered whole
    whole = pages()

    assert kept == again == whole
    assert 'value="Léa &lt;L&gt;"' in whole[1]
    assert "Réserver" not in whole[3] and "Join the waiting list" in whole[3]


def test_a_flashed_message_shows_on_the_session_page_once(app, client, make_session):
    session_id = make_session(capacity=12)
    page(client, session_id)  # its shell is kept
    with client.session_transaction() as cookie_session:
        cookie_session["_flashes"] = [("success", "Votre réservation est annulée.")]

    assert "Votre réservation est annulée." in page(client, session_id)
    assert "Votre réservation est annulée." not in page(client, session_id)


def test_the_language_switch_comes_back_to_the_address_asked(client, make_session):
    session_id = make_session(capacity=12)
    page(client, session_id)  # its shell is kept, for the address without a query

    response = client.get(f"/sessions/{session_id}?from=programme")

    assert response.status_code == 200
    assert f"next=/sessions/{session_id}?from%3Dprogramme" in response.get_data(as_text=True)
