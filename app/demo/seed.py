"""``flask seed-demo``: the programme and the collection's specimens, added once.

Drawing and encoding a picture takes some time, so a process draws each one once
(``demo_picture`` is cached): tests that seed the demo many times stay quick.
"""

from __future__ import annotations

from datetime import date
from functools import cache

from sqlalchemy import select

from ..extensions import db
from ..models import Event, EventSession, Specimen, Venue
from ..services import gallery, images
from .pictures import draw
from .programme import PROGRAMME, VENUES, localised, week_shift
from .specimens import SPECIMENS


def seed_demo(today: date) -> tuple[int, int]:
    """Load the programme; existing venues and events (by name and slug) are left alone.

    Returns how many events and sessions were created, so running it twice creates nothing.
    """
    shift = week_shift(today)
    venues = {}
    for key, fields in VENUES.items():
        venue = db.session.execute(
            select(Venue).where(Venue.name == fields["name"])
        ).scalar_one_or_none()
        if venue is None:
            venue = Venue(**fields)
            db.session.add(venue)
        venues[key] = venue
    created_events = created_sessions = 0
    for item in PROGRAMME:
        if db.session.execute(select(Event.id).where(Event.slug == item.slug)).first():
            continue
        event = Event(
            slug=item.slug,
            kind=item.kind,
            title=item.title,
            summary=item.summary,
            description=item.description,
            speakers=item.speakers,
            organisers=item.organisers,
            venue=venues[item.venue],
            accessibility_notes=item.accessibility_notes,
            distance_km=item.distance_km,
            difficulty=item.difficulty,
        )
        db.session.add(event)
        created_events += 1
        for slot in item.sessions:
            event.sessions.append(
                EventSession(
                    starts_at=localised(slot.day, slot.start, shift),
                    ends_at=localised(slot.day, slot.end, shift),
                    capacity=item.capacity,
                )
            )
            created_sessions += 1
    exhibition = db.session.scalar(select(Event).where(Event.slug == "exposition-commentee"))
    seed_specimens(exhibition)
    return created_events, created_sessions


def seed_specimens(exhibition: Event | None) -> int:
    """Create the demo specimens not there yet (by inventory number); return how many.

    They are shown by ``exhibition`` (the guided visit of the collection) when it exists.
    """
    existing = set(db.session.scalars(select(Specimen.inventory_number)))
    created = 0
    for item in SPECIMENS:
        if item.number in existing:
            continue
        specimen = Specimen(
            inventory_number=item.number,
            name=item.name,
            category=item.category,
            formula=item.formula,
            locality=item.locality,
            region=item.region,
            age=item.age,
            description=item.description,
            on_display=item.on_display,
            event=exhibition,
        )
        specimen.search_text = gallery.search_text_of(specimen)
        specimen.images.append(
            gallery.image_row(gallery.NewImage(demo_picture(item.number), item.alt_text))
        )
        db.session.add(specimen)
        created += 1
    return created


@cache
def demo_picture(number: str) -> images.PreparedImage:
    """The renditions of a demo specimen's picture (drawn once per process)."""
    item = next(s for s in SPECIMENS if s.number == number)
    return images.renditions(draw(item.picture, number))
