"""Editions: the festival comes back every year, its programme copied onto the new week.

An edition is a year (``Event.edition``). ``new_edition`` copies an edition's events, the
specimens they show and the pattern of their sessions onto the chosen week: each session
moves by whole weeks, so it keeps its weekday and its Paris time (Tuesday 14 h stays
Tuesday 14 h). The copies take no booking until an organiser opens them
(``EventSession.opening_pending``; ``open_edition``). Venues are places, not yearly
items: the copied events use the same venue rows, and a venue edited later is edited for
every year alike.

Copying twice adds nothing: an event's copy is found by ``Event.copied_from_id``, and a
session is skipped when the copy already has one starting then.

Past editions leave the public pages (``programme.first_public_edition``); they stay in
the dashboard and the statistics. Their people's details are erased like any session's,
some days after it ended (services/privacy.py): nothing here keeps them longer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from ..database import writing
from ..extensions import db
from ..models import BookingQuestion, Event, EventSession, MailText, ReminderRule, Specimen
from ..timeutil import PARIS, paris, utcnow
from .audit import audit
from .errors import N_, DomainError
from .organiser import unique_slug
from .programme import first_public_edition
from .series import set_opening

# What an event's copy takes from it (the rest is the copy's own: id, slug, edition).
COPIED_FIELDS = (
    "kind",
    "title",
    "summary",
    "description",
    "speakers",
    "organisers",
    "venue_id",
    "accessibility_notes",
    "distance_km",
    "difficulty",
    "waitlist_auto",
    "meeting_point",
    "meeting_point_en",
    "what_to_bring",
    "what_to_bring_en",
    "access_info",
    "access_info_en",
)
# What a question's copy keeps (not who last edited it, nor when).
COPIED_QUESTION_FIELDS = (
    "kind",
    "required",
    "label_fr",
    "label_en",
    "choices_fr",
    "choices_en",
    "position",
)


class EditionNotFound(DomainError):
    """No event belongs to that year."""

    code, status, field, positional = "edition_not_found", 404, "from_year", ("year",)
    text = N_("Aucun événement n’appartient à l’édition %(year)s.")


class EditionHasNoSessions(DomainError):
    """An edition without sessions has no week to copy."""

    code, status, field, positional = "edition_has_no_sessions", 422, "from_year", ("year",)
    text = N_("L’édition %(year)s n’a aucune séance à recopier.")


class SameEdition(DomainError):
    """The new week must be in another year than the edition copied."""

    code, status, field = "same_edition", 422, "week"
    text = N_("Choisissez une semaine d’une autre année que l’édition recopiée.")


class BadWeek(DomainError):
    """The week is given by one of its days."""

    code, status, field = "bad_week", 422, "week"
    text = N_("Indiquez un jour de la semaine choisie, par exemple 2027-05-03.")


class BadYear(DomainError):
    """An edition is a year."""

    code, status, field = "bad_year", 422, "from_year"
    text = N_("Indiquez l’année de l’édition à recopier, par exemple 2026.")


@dataclass(frozen=True)
class EditionSummary:
    """One edition as the dashboard lists it."""

    year: int
    events: int
    sessions: int
    first_start: datetime | None
    last_start: datetime | None
    pending: int  # sessions whose booking waits to be opened
    public: bool


def editions(now: datetime | None = None) -> list[EditionSummary]:
    """Every edition, newest first, with its counts and whether the public sees it."""
    now = now or utcnow()
    first_public = first_public_edition(now)
    rows = db.session.execute(
        select(
            Event.edition,
            func.count(func.distinct(Event.id)),
            func.count(EventSession.id),
            func.min(EventSession.starts_at),
            func.max(EventSession.starts_at),
            func.count(EventSession.id).filter(EventSession.opening_pending.is_(True)),
        )
        .outerjoin(EventSession, EventSession.event_id == Event.id)
        .group_by(Event.edition)
        .order_by(Event.edition.desc())
    ).all()
    return [
        EditionSummary(
            year=year,
            events=events,
            sessions=sessions,
            first_start=first,
            last_start=last,
            pending=pending,
            public=first_public is not None and year >= first_public,
        )
        for year, events, sessions, first, last, pending in rows
    ]


def newest_edition() -> int | None:
    """The latest edition's year (new events join it), or ``None`` before any event."""
    return db.session.scalar(select(func.max(Event.edition)))


def monday(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def parse_copy(from_year: str, week: str) -> tuple[int, date]:
    """Read the form's (or the command's) year and day; the refusals name their field."""
    try:
        year = int(from_year.strip())
    except ValueError:
        raise BadYear() from None
    try:
        day = date.fromisoformat(week.strip())
    except ValueError:
        raise BadWeek() from None
    return year, day


@dataclass
class EventCopy:
    """One event of the edition copied: its copy (once made) and the sessions to add."""

    source: Event
    copy: Event | None
    starts: list[tuple[EventSession, datetime]] = field(default_factory=list)
    skipped: int = 0


@dataclass
class EditionPlan:
    """What copying an edition onto a week makes, and what it finds already made."""

    source_year: int
    target_year: int
    week: date  # the Monday of the new week
    events: list[EventCopy]
    specimens: list[Specimen]

    @property
    def new_events(self) -> int:
        """Events to copy (the others were copied before)."""
        return sum(1 for item in self.events if item.copy is None)

    @property
    def new_sessions(self) -> int:
        """Sessions to create."""
        return sum(len(item.starts) for item in self.events)

    @property
    def skipped_sessions(self) -> int:
        """Sessions the copies already have."""
        return sum(item.skipped for item in self.events)

    @property
    def nothing_to_do(self) -> bool:
        """Whether everything is already there."""
        return not (self.new_events or self.new_sessions or self.specimens)


def _moved(moment: datetime, days: int) -> datetime:
    """``moment`` ``days`` later at the same Paris wall-clock time."""
    local = paris(moment).replace(tzinfo=None) + timedelta(days=days)
    return local.replace(tzinfo=PARIS)


def plan_edition(from_year: int, week: date) -> EditionPlan:
    """What ``new_edition`` would do; it writes nothing."""
    target = week.year
    if target == from_year:
        raise SameEdition()
    sources = list(
        db.session.scalars(
            select(Event).where(Event.edition == from_year).order_by(Event.id)
        ).unique()
    )
    if not sources:
        raise EditionNotFound(from_year)
    sessions = [s for event in sources for s in event.sessions if s.cancelled_at is None]
    if not sessions:
        raise EditionHasNoSessions(from_year)
    first_day = paris(min(s.starts_at for s in sessions)).date()
    shift = (monday(week) - monday(first_day)).days
    copies = {
        event.copied_from_id: event
        for event in db.session.scalars(
            select(Event).where(Event.edition == target, Event.copied_from_id.is_not(None))
        ).unique()
    }
    plan = EditionPlan(from_year, target, monday(week), [], [])
    for event in sources:
        item = EventCopy(event, copies.get(event.id))
        existing = {s.starts_at for s in item.copy.sessions} if item.copy else set()
        for session in event.sessions:
            if session.cancelled_at is not None:
                continue
            starts_at = _moved(session.starts_at, shift)
            if starts_at in existing:
                item.skipped += 1
            else:
                item.starts.append((session, starts_at))
        plan.events.append(item)
    plan.specimens = list(
        db.session.scalars(
            select(Specimen)
            .where(Specimen.event_id.in_([e.id for e in sources]), Specimen.on_display)
            .order_by(Specimen.id)
        )
    )
    return plan


def new_edition(from_year: int, week: date, *, actor: str, dry_run: bool = False) -> EditionPlan:
    """Copy edition ``from_year`` onto the week of ``week``, booking closed until opened.

    One transaction: the copied events with their mails, reminders and booking questions,
    their sessions, and
    the specimens they show, which are shown by the copies from then on. ``dry_run`` only plans.
    """
    with writing():
        # Two organisers copying at once: the second waits here, then finds the copies.
        db.session.execute(
            select(Event.id).where(Event.edition == from_year).order_by(Event.id).with_for_update()
        )
        plan = plan_edition(from_year, week)
        if dry_run or plan.nothing_to_do:
            return plan
        by_source: dict[int, Event] = {}
        for item in plan.events:
            copy = item.copy or _copy_event(item.source, plan.target_year)
            by_source[item.source.id] = copy
            for session, starts_at in item.starts:
                db.session.add(_copy_session(session, copy, starts_at))
        for specimen in plan.specimens:
            specimen.event_id = by_source[specimen.event_id or 0].id
        db.session.flush()
        audit(
            "edition.created",
            actor,
            source=from_year,
            edition=plan.target_year,
            week=plan.week.isoformat(),
            events=plan.new_events,
            sessions=plan.new_sessions,
            skipped=plan.skipped_sessions,
            specimens=len(plan.specimens),
        )
        return plan


def _copy_event(source: Event, year: int) -> Event:
    """A copy of ``source`` for edition ``year``."""
    copy = Event(
        slug=unique_slug(f"{source.title} {year}"),
        edition=year,
        copied_from_id=source.id,
        **{name: getattr(source, name) for name in COPIED_FIELDS},
    )
    db.session.add(copy)
    db.session.flush()
    # The organisers' own words come along: the event's mails, its reminders and its
    # booking questions (the shoe size for the hike is asked every year); the answers
    # stay with last year's bookings.
    for text in db.session.scalars(select(MailText).where(MailText.event_id == source.id)):
        db.session.add(
            MailText(
                kind=text.kind,
                event_id=copy.id,
                subject_fr=text.subject_fr,
                body_fr=text.body_fr,
                subject_en=text.subject_en,
                body_en=text.body_en,
            )
        )
    for rule in db.session.scalars(select(ReminderRule).where(ReminderRule.event_id == source.id)):
        db.session.add(ReminderRule(event_id=copy.id, minutes_before=rule.minutes_before))
    for question in db.session.scalars(
        select(BookingQuestion)
        .where(BookingQuestion.event_id == source.id, BookingQuestion.removed_at.is_(None))
        .order_by(BookingQuestion.position, BookingQuestion.id)
    ):
        db.session.add(
            BookingQuestion(
                event_id=copy.id,
                **{name: getattr(question, name) for name in COPIED_QUESTION_FIELDS},
            )
        )
    return copy


def _copy_session(source: EventSession, event: Event, starts_at: datetime) -> EventSession:
    """A copy of ``source`` for ``event`` at ``starts_at``: same length, capacity, closing."""
    closes_at = (
        starts_at - (source.starts_at - source.booking_closes_at)
        if source.booking_closes_at is not None
        else None
    )
    return EventSession(
        event_id=event.id,
        starts_at=starts_at,
        ends_at=starts_at + (source.ends_at - source.starts_at),
        capacity=source.capacity,
        booking_closes_at=closes_at,
        opening_pending=True,
        note=source.note,
    )


def open_edition(
    year: int, opens_at: datetime | None, *, actor: str, now: datetime | None = None
) -> int:
    """Open booking (now, or at ``opens_at``) for every session of ``year`` still to come."""
    now = now or utcnow()
    with writing():
        sessions = db.session.scalars(
            select(EventSession)
            .join(Event, EventSession.event_id == Event.id)
            .where(Event.edition == year, EventSession.starts_at > now)
            .where(EventSession.cancelled_at.is_(None))
            .order_by(EventSession.id)  # the lock order every writer uses
            .with_for_update(of=EventSession)
        ).all()
        if not sessions:
            raise EditionNotFound(year)
        return set_opening(list(sessions), opens_at, actor=actor, scope={"edition": year})
