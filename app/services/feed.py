"""The programme as an iCalendar feed (``/programme.ics``) that calendar apps subscribe to.

A calendar app fetches the feed again every hour or so and matches each entry by its
UID, so a session keeps one UID for life (its id and the site's host). What changed is
told the way RFC 5545 says: SEQUENCE counts the organisers' edits of the session (and of
its event), LAST-MODIFIED and DTSTAMP are the time of the latest one (the feed has no
METHOD, so DTSTAMP is the entry's revision time, not the download's), and a cancelled
session stays in the feed with STATUS:CANCELLED, so that apps strike it out rather than
keep it. The edits are read from the audit log, which records each of them in its own
transaction and is never emptied (only stripped of personal details), so the counts
never go back.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import icalendar
from sqlalchemy import func, select

from ..extensions import db
from ..i18n import gettext
from ..labels import kind_label, kind_plural
from ..models import AuditEntry, Event, EventKind, EventSession
from ..timeutil import as_utc, paris
from .programme import list_sessions

SESSION_EDITS = ("session.saved", "session.cancelled")
EVENT_EDIT = "event.saved"
# What a subscribing app is asked to wait between two fetches (RFC 7986, and the older
# name Outlook and others read).
REFRESH = timedelta(hours=1)
# Ids are database integers: no row has a larger one (and PostgreSQL refuses to compare).
LARGEST_ID = 2**31 - 1


@dataclass(frozen=True)
class Revision:
    """How often a session's entry was changed, and when last."""

    sequence: int
    modified: datetime


def find_event(reference: str) -> Event | None:
    """An event by slug, or by id when ``reference`` is all digits."""
    if reference.isascii() and reference.isdigit():
        number = int(reference)
        return db.session.get(Event, number) if number <= LARGEST_ID else None
    return db.session.scalars(select(Event).where(Event.slug == reference)).first()


def revisions(sessions: Iterable[EventSession]) -> dict[int, Revision]:
    """Each session's revision, from the audit log's edits of it and of its event."""
    sessions = list(sessions)
    if not sessions:
        return {}
    ids = [session.id for session in sessions]
    own: dict[int, tuple[int, datetime]] = {
        row.session_id: (row.edits, row.last)
        for row in db.session.execute(
            select(
                AuditEntry.session_id,
                func.count().label("edits"),
                func.max(AuditEntry.at).label("last"),
            )
            .where(AuditEntry.action.in_(SESSION_EDITS), AuditEntry.session_id.in_(ids))
            .group_by(AuditEntry.session_id)
        )
    }
    # An event's edits carry its id in their data (JSON): few rows, read them all.
    event_edits: dict[int, list[datetime]] = defaultdict(list)
    for at, data in db.session.execute(
        select(AuditEntry.at, AuditEntry.data).where(AuditEntry.action == EVENT_EDIT)
    ):
        if isinstance(data, dict) and isinstance(data.get("event_id"), int):
            event_edits[data["event_id"]].append(as_utc(at))
    found = {}
    for session in sessions:
        created = as_utc(session.created_at)
        edits, last = own.get(session.id, (0, created))
        later = [at for at in event_edits.get(session.event_id, []) if at > created]
        found[session.id] = Revision(
            sequence=edits + len(later), modified=max([as_utc(last), created, *later])
        )
    return found


def calendar_name(kind: EventKind | None, event: Event | None) -> str:
    """The feed's title in the subscriber's calendar list."""
    if event is not None:
        return f"Minér’Alès · {event.title}"
    if kind is not None:
        return f"Minér’Alès · {kind_plural(kind)}"
    return "Minér’Alès"


def programme_ics(
    kind: EventKind | None,
    event: Event | None,
    *,
    host: str,
    session_url: Callable[[EventSession], str],
) -> bytes:
    """The sessions (all, one kind's or one event's) as one iCalendar file."""
    sessions = list_sessions(kind, event.id if event else None, public=True)
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//IMT Mines Alès//Minér'Alès programme//FR")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    name = calendar_name(kind, event)
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Europe/Paris")
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", icalendar.vDuration(REFRESH))
    known = revisions(sessions)
    for session in sessions:
        calendar.add_component(_entry(session, known[session.id], host, session_url(session)))
    calendar.add_missing_timezones(**_zone_years(sessions))
    return calendar.to_ical()


def _zone_years(sessions: list[EventSession]) -> dict[str, date]:
    """The years the time zone's rules must cover: those of the sessions, whole.

    The library writes each change of offset out; the sessions' years keep the feed short.
    """
    if not sessions:
        return {}
    first = paris(sessions[0].starts_at).year
    last = max(paris(session.ends_at).year for session in sessions)
    return {"first_date": date(first, 1, 1), "last_date": date(last + 1, 1, 1)}


def _entry(session: EventSession, revision: Revision, host: str, url: str) -> icalendar.Event:
    """One session as a VEVENT."""
    event = session.event
    venue = event.venue
    entry = icalendar.Event()
    entry.add("uid", f"session-{session.id}@{host}")
    entry.add("dtstamp", revision.modified)
    entry.add("last-modified", revision.modified)
    entry.add("created", as_utc(session.created_at))
    entry.add("sequence", revision.sequence)
    entry.add("dtstart", paris(session.starts_at))
    entry.add("dtend", paris(session.ends_at))
    entry.add("summary", event.title)
    entry.add(
        "location", ", ".join(part for part in (venue.name, venue.address, venue.city) if part)
    )
    lines = [part for part in (event.summary, session.note) if part]
    if session.cancelled_at is not None:
        entry.add("status", "CANCELLED")
        lines.insert(0, gettext("Séance annulée."))
    else:
        entry.add("status", "CONFIRMED")
    lines.append(url)
    entry.add("description", "\n".join(lines))
    entry.add("categories", [kind_label(event.kind)])
    entry.add("url", url)
    entry.add("transp", "OPAQUE")
    return entry
