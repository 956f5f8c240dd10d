"""The collection's public pages: the grid, its filters and search, a specimen's page, the demo.

Everything runs on both databases through the ``app`` fixture.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Event, EventSession, Specimen, SpecimenCategory, SpecimenImage
from app.timeutil import utcnow

from .gallery_helpers import (
    add_specimen,
    bytes_read,
    names_in,
    statements,
)


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


def specimen_queries(seen: list[str]) -> list[str]:
    """The statements that read the collection's tables."""
    return [s for s in seen if s.upper().startswith("SELECT") and "FROM specimen" in s]


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
