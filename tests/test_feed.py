"""The programme feed (/programme.ics), read back with vobject, not with the library that
writes it (icalendar), as a subscribing calendar app would."""

from __future__ import annotations

from datetime import timedelta

import pytest
import vobject

from app.extensions import db
from app.models import EventKind, EventSession
from app.services import organiser
from app.timeutil import paris, utcnow

pytestmark = pytest.mark.app_config(BASE_URL="https://minerales.example")


def parse(response):
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    return vobject.readOne(response.get_data(as_text=True))


def entries(calendar) -> dict[str, object]:
    return {entry.uid.value: entry for entry in calendar.contents.get("vevent", [])}


def session_row(app, session_id: int) -> EventSession:
    with app.app_context():
        session = db.session.get(EventSession, session_id)
        db.session.expunge(session)
        return session


def test_the_week_in_europe_paris_with_its_time_zone(app, client, make_session):
    first = make_session(starts_in=timedelta(days=3), title="Visite des collections")
    second = make_session(starts_in=timedelta(days=150), kind=EventKind.FILM, title="Film")
    calendar = parse(client.get("/programme.ics"))
    assert calendar.vtimezone.tzid.value == "Europe/Paris"
    found = entries(calendar)
    assert set(found) == {
        f"session-{first}@minerales.example",
        f"session-{second}@minerales.example",
    }
    for session_id in (first, second):
        entry = found[f"session-{session_id}@minerales.example"]
        stored = session_row(app, session_id)
        start = entry.dtstart.value
        # The wall-clock time and offset of Paris on that day (summer or winter time).
        local = paris(stored.starts_at).replace(microsecond=0)
        assert start.replace(tzinfo=None) == local.replace(tzinfo=None)
        assert start.utcoffset() == local.utcoffset()
        # vobject turns TZID=Europe/Paris into the feed's own VTIMEZONE rules.
        assert repr(start.tzinfo) == "<tzicalvtz 'Europe/Paris'>"
        assert entry.dtend.value == paris(stored.ends_at).replace(microsecond=0)
        assert entry.status.value == "CONFIRMED"
        assert entry.url.value == f"https://minerales.example/sessions/{session_id}"
    assert found[f"session-{second}@minerales.example"].summary.value == "Film"


def test_one_event_by_slug_or_id_and_one_kind(app, client, make_session):
    film = make_session(kind=EventKind.FILM, title="Film")
    hike = make_session(kind=EventKind.HIKE, title="Randonnée")
    event = session_row(app, film).event_id
    with app.app_context():
        slug = db.session.get(EventSession, film).event.slug
    for query in (f"event={slug}", f"event={event}", "kind=film"):
        assert list(entries(parse(client.get(f"/programme.ics?{query}")))) == [
            f"session-{film}@minerales.example"
        ], query
    assert len(entries(parse(client.get("/programme.ics?kind=hike")))) == 1
    assert hike
    assert client.get("/programme.ics?event=nothing-of-the-sort").status_code == 404
    assert client.get("/programme.ics?event=99999999999999999999").status_code == 404
    assert client.get("/programme.ics?kind=opera").status_code == 400


def test_the_same_uids_and_bytes_on_every_fetch_and_a_304(client, make_session):
    make_session()
    make_session(kind=EventKind.CONFERENCE, title="Conférence")
    first = client.get("/programme.ics")
    again = client.get("/programme.ics")
    assert first.data == again.data  # DTSTAMP is the revision time, not the download's
    assert list(entries(parse(first))) == list(entries(parse(again)))
    etag = first.headers["ETag"]
    unchanged = client.get("/programme.ics", headers={"If-None-Match": etag})
    assert unchanged.status_code == 304
    assert unchanged.data == b""
    assert "max-age" in unchanged.headers["Cache-Control"]


def edit(app, session_id: int, **changes) -> None:
    """Save the session through the organiser's service, as the dashboard does."""
    with app.app_context():
        session = db.session.get(EventSession, session_id)
        fields = organiser.SessionFields(
            starts_at=changes.get("starts_at", session.starts_at),
            ends_at=changes.get("ends_at", session.ends_at),
            capacity=changes.get("capacity", session.capacity),
            note=changes.get("note", session.note),
        )
        organiser.save_session(
            session.event_id, fields, actor="organiser@mines-ales.fr", session_id=session_id
        )
        db.session.commit()


def test_an_edited_session_keeps_its_uid_and_says_it_changed(app, client, make_session):
    yesterday = utcnow() - timedelta(days=1)
    session_id = make_session(created_at=yesterday)
    other = make_session(title="Autre", created_at=yesterday)
    uid = f"session-{session_id}@minerales.example"
    before = client.get("/programme.ics")
    entry = entries(parse(before))[uid]
    assert entry.sequence.value == "0"
    stored = session_row(app, session_id)
    later = (stored.starts_at + timedelta(hours=2)).replace(microsecond=0)
    edit(app, session_id, starts_at=later, ends_at=later + timedelta(hours=1))
    after = client.get("/programme.ics", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    found = entries(parse(after))
    assert set(found) == {uid, f"session-{other}@minerales.example"}
    changed = found[uid]
    assert int(changed.sequence.value) == 1
    assert changed.last_modified.value > entry.last_modified.value
    assert changed.dtstamp.value == changed.last_modified.value
    assert changed.dtstart.value == paris(later)
    untouched = found[f"session-{other}@minerales.example"]
    assert untouched.sequence.value == "0"
    edit(app, session_id, note="Rendez-vous à l’accueil.")
    assert int(entries(parse(client.get("/programme.ics")))[uid].sequence.value) == 2


def test_a_cancelled_session_stays_marked_cancelled(app, client, make_session):
    session_id = make_session()
    with app.app_context():
        organiser.cancel_session(session_id, actor="organiser@mines-ales.fr")
        db.session.commit()
    entry = entries(parse(client.get("/programme.ics")))[f"session-{session_id}@minerales.example"]
    assert entry.status.value == "CANCELLED"
    assert int(entry.sequence.value) == 1
    assert entry.description.value.startswith("Séance annulée.")


def test_an_edited_event_changes_its_sessions_entries(app, client, make_session):
    session_id = make_session(title="Ancien titre")
    uid = f"session-{session_id}@minerales.example"
    with app.app_context():
        event = db.session.get(EventSession, session_id).event
        organiser.save_event(
            organiser.EventFields(title="Nouveau titre", kind=event.kind, venue_id=event.venue_id),
            actor="organiser@mines-ales.fr",
            event_id=event.id,
        )
        db.session.commit()
    entry = entries(parse(client.get("/programme.ics")))[uid]
    assert entry.summary.value == "Nouveau titre"
    assert int(entry.sequence.value) == 1


def test_the_programme_page_links_to_its_feed(client, make_session):
    make_session(kind=EventKind.FILM)
    assert 'href="/programme.ics"' in client.get("/").get_data(as_text=True)
    assert 'href="/programme.ics?kind=film"' in client.get("/?kind=film").get_data(as_text=True)
