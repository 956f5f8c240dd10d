"""Sessions from a rule: days, weekdays and start times make a series, created at once.

An organiser (the dashboard's series page, or ``flask add-series``) gives the first and
last day, the weekdays, the start times, a length, a capacity and when booking opens and
closes. ``plan_series`` says what would be created and what is skipped because the event
already has a session starting then; ``create_series`` creates every session of the plan
in one transaction, or none when one of them cannot be (it would start before booking
opens, or in the past). Each session is then an ordinary session, edited on its own.

Times are Paris wall-clock times: 14:00 stays 14:00 across the change to summer time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from ..database import writes, writing
from ..extensions import db
from ..models import Event, EventSession
from ..timeutil import PARIS, utcnow
from .audit import audit
from .errors import DomainError
from .series_errors import (
    BadCapacity,
    BadCloseMinutes,
    BadFirstDay,
    BadLastDay,
    BadMinutes,
    BadOpening,
    BadTime,
    BadWeekday,
    EventMissing,
    LastDayBeforeFirst,
    NoDayMatches,
    NoTimes,
    NoWeekday,
    RowBeforeOpening,
    RowInPast,
    SeriesInvalid,
    SeriesTooLong,
)

MAX_DAYS = 366
MAX_SESSIONS = 500
MAX_CAPACITY = 5000

# Monday is 0, as ``date.weekday()`` has it; French and English abbreviations both read.
WEEKDAY_NAMES = {
    **{name: day for day, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
    **{name: day for day, name in enumerate(("lun", "mar", "mer", "jeu", "ven", "sam", "dim"))},
}
_TIME = re.compile(r"^(\d{1,2})(?:(?::|h)(\d{2})?)?$", re.IGNORECASE)


# ---------------------------------------------------------------------------------------
# Reading what was typed
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeriesInput:
    """A series as typed, every value a string (a form's, or a command's options)."""

    first_day: str
    last_day: str
    weekdays: str  # "tue,wed,thu,fri", "mar mer", or weekday numbers (0 = Monday)
    times: str  # "14:00 15:00 16:00", commas allowed, "14h" and "14 h 30" too
    minutes: str
    capacity: str
    booking_opens_at: str = ""  # Paris time, "2027-05-02T09:00"; empty: open at once
    close_minutes: str = ""  # how long before each start booking closes; empty: the default
    note: str = ""


@dataclass(frozen=True)
class SeriesRule:
    """A series, read and checked."""

    first_day: date
    last_day: date
    weekdays: frozenset[int]
    times: tuple[time, ...]
    minutes: int
    capacity: int
    booking_opens_at: datetime | None = None
    close_minutes: int | None = None
    note: str = ""


def whole_minute(moment: datetime) -> datetime:
    """``moment`` without its seconds: the live counts change state on whole minutes."""
    return moment.replace(second=0, microsecond=0)


def parse_local_datetime(text: str) -> datetime:
    """A Paris date and time, « 2027-05-02T09:00 » or « 2027-05-02 09:00 »; ValueError else."""
    value = datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    if value.tzinfo is None:
        value = value.replace(tzinfo=PARIS)
    return whole_minute(value)


def parse_opening(text: str) -> datetime | None:
    """An opening time as typed (Paris time); empty: now. Raises ``BadOpening``."""
    if not text.strip():
        return None
    try:
        return parse_local_datetime(text)
    except ValueError:
        raise BadOpening() from None


def _parse_weekdays(text: str) -> tuple[frozenset[int], list[DomainError]]:
    """Weekday numbers from names or digits."""
    days: set[int] = set()
    problems: list[DomainError] = []
    for word in re.split(r"[\s,;]+", text.strip().lower()):
        if not word:
            continue
        key = word.rstrip(".")[:3]
        if word.isdigit() and 0 <= int(word) <= 6:
            days.add(int(word))
        elif key in WEEKDAY_NAMES:
            days.add(WEEKDAY_NAMES[key])
        else:
            problems.append(BadWeekday(word))
            break
    if not days and not problems:
        problems.append(NoWeekday())
    return frozenset(days), problems


def _parse_times(text: str) -> tuple[tuple[time, ...], list[DomainError]]:
    """Start times in order, each once."""
    found: set[time] = set()
    for word in re.split(r"[\s,;]+", re.sub(r"\s*h\s*", "h", text.strip(), flags=re.I)):
        if not word:
            continue
        match = _TIME.match(word)
        hour, minute = (int(match.group(1)), int(match.group(2) or 0)) if match else (99, 0)
        if hour > 23 or minute > 59:
            return (), [BadTime(word)]
        found.add(time(hour, minute))
    if not found:
        return (), [NoTimes()]
    return tuple(sorted(found)), []


def _parse_int(text: str, low: int, high: int) -> int | None:
    """An integer between ``low`` and ``high``, or None."""
    try:
        value = int(text.strip())
    except ValueError:
        return None
    return value if low <= value <= high else None


def parse_rule(raw: SeriesInput) -> SeriesRule:
    """Read a typed series; raise ``SeriesInvalid`` listing every field that is wrong."""
    problems: list[DomainError] = []
    first = last = None
    try:
        first = date.fromisoformat(raw.first_day.strip())
    except ValueError:
        problems.append(BadFirstDay())
    try:
        last = date.fromisoformat(raw.last_day.strip())
    except ValueError:
        problems.append(BadLastDay())
    if first and last and last < first:
        problems.append(LastDayBeforeFirst())
    elif first and last and (last - first).days >= MAX_DAYS:
        problems.append(SeriesTooLong(num=MAX_SESSIONS))
    weekdays, weekday_problems = _parse_weekdays(raw.weekdays)
    times, time_problems = _parse_times(raw.times)
    problems += weekday_problems + time_problems
    minutes = _parse_int(raw.minutes, 1, 24 * 60)
    if minutes is None:
        problems.append(BadMinutes())
    capacity = _parse_int(raw.capacity, 0, MAX_CAPACITY)
    if capacity is None:
        problems.append(BadCapacity())
    opens_at = None
    if raw.booking_opens_at.strip():
        try:
            opens_at = parse_local_datetime(raw.booking_opens_at)
        except ValueError:
            problems.append(BadOpening())
    close_minutes = None
    if raw.close_minutes.strip():
        close_minutes = _parse_int(raw.close_minutes, 0, 7 * 24 * 60)
        if close_minutes is None:
            problems.append(BadCloseMinutes())
    if first and last and weekdays and not problems and not _days(first, last, weekdays):
        problems.append(NoDayMatches())
    if problems:
        raise SeriesInvalid(problems)
    assert first and last and minutes is not None and capacity is not None
    rule = SeriesRule(
        first, last, weekdays, times, minutes, capacity, opens_at, close_minutes, raw.note.strip()
    )
    if len(starts_of(rule)) > MAX_SESSIONS:
        raise SeriesInvalid([SeriesTooLong(num=MAX_SESSIONS)])
    return rule


# ---------------------------------------------------------------------------------------
# The plan, then the sessions
# ---------------------------------------------------------------------------------------


def _days(first: date, last: date, weekdays: frozenset[int]) -> list[date]:
    """The days from ``first`` to ``last`` that fall on one of ``weekdays``."""
    span = (last - first).days + 1
    days = (first + timedelta(days=offset) for offset in range(span))
    return [day for day in days if day.weekday() in weekdays]


def starts_of(rule: SeriesRule) -> list[datetime]:
    """Every start of the rule, in order, as aware Paris times."""
    return [
        datetime.combine(day, at, tzinfo=PARIS)
        for day in _days(rule.first_day, rule.last_day, rule.weekdays)
        for at in rule.times
    ]


@dataclass(frozen=True)
class PlannedSession:
    """One session of a series: when, and whether it is new or already there."""

    starts_at: datetime
    ends_at: datetime
    exists: bool = False
    problem: DomainError | None = None


@dataclass(frozen=True)
class SeriesPlan:
    """What a rule makes for an event: the sessions to create and those skipped."""

    event: Event
    rule: SeriesRule
    rows: list[PlannedSession] = field(default_factory=list)

    @property
    def new(self) -> list[PlannedSession]:
        """The sessions the series would create."""
        return [row for row in self.rows if not row.exists]

    @property
    def skipped(self) -> list[PlannedSession]:
        """The starts the event already has a session at."""
        return [row for row in self.rows if row.exists]

    @property
    def problems(self) -> list[DomainError]:
        """What stops the series from being created, one refusal per bad row."""
        return [row.problem for row in self.new if row.problem is not None]


def _event(event_id: int) -> Event:
    """The event, or ``EventMissing``."""
    event = db.session.get(Event, event_id)
    if event is None:
        raise EventMissing(event_id)
    return event


def _row_problem(rule: SeriesRule, starts_at: datetime, now: datetime) -> DomainError | None:
    """Why this session cannot be created, if it cannot."""
    if starts_at <= now:
        return RowInPast(starts_at)
    if rule.booking_opens_at is not None and rule.booking_opens_at >= starts_at:
        return RowBeforeOpening(starts_at)
    return None


def plan_series(event_id: int, rule: SeriesRule, now: datetime | None = None) -> SeriesPlan:
    """What ``rule`` would create for the event, and what it skips (a session starts then)."""
    now = now or utcnow()
    event = _event(event_id)
    existing = set(
        db.session.scalars(select(EventSession.starts_at).where(EventSession.event_id == event_id))
    )
    length = timedelta(minutes=rule.minutes)
    rows = [
        PlannedSession(
            starts_at=start,
            ends_at=start + length,
            exists=start in existing,
            problem=None if start in existing else _row_problem(rule, start, now),
        )
        for start in starts_of(rule)
    ]
    return SeriesPlan(event, rule, rows)


@dataclass(frozen=True)
class SeriesResult:
    """What ``create_series`` did."""

    created: list[EventSession]
    skipped: int


def create_series(
    event_id: int, rule: SeriesRule, *, actor: str, now: datetime | None = None
) -> SeriesResult:
    """Create every new session of the plan in one transaction: all of them, or none.

    The event's row is locked first, so two organisers sending the same series at once
    create it once. A bad row (see ``_row_problem``) is found as the sessions are written;
    its refusal rolls back the rows written before it.
    """
    now = now or utcnow()
    with writing():
        db.session.execute(select(Event.id).where(Event.id == event_id).with_for_update())
        plan = plan_series(event_id, rule, now)
        created = []
        for row in plan.new:
            created.append(_add_session(event_id, rule, row))
            db.session.flush()
            if row.problem is not None:
                raise row.problem
        audit(
            "series.created",
            actor,
            event_id=event_id,
            sessions=[session.id for session in created],
            skipped=len(plan.skipped),
        )
        return SeriesResult(created, len(plan.skipped))


def _add_session(event_id: int, rule: SeriesRule, row: PlannedSession) -> EventSession:
    """One session of the series."""
    closes_at = (
        row.starts_at - timedelta(minutes=rule.close_minutes)
        if rule.close_minutes is not None
        else None
    )
    session = EventSession(
        event_id=event_id,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        capacity=rule.capacity,
        booking_opens_at=rule.booking_opens_at,
        booking_closes_at=closes_at,
        note=rule.note,
    )
    db.session.add(session)
    return session


# ---------------------------------------------------------------------------------------
# When booking opens, for many sessions at once
# ---------------------------------------------------------------------------------------


def set_opening(
    sessions: list[EventSession], opens_at: datetime | None, *, actor: str, scope: dict[str, int]
) -> int:
    """Booking opens at ``opens_at`` (None: now) for ``sessions``; returns how many changed.

    Sessions held closed until opened (a new edition's) open then too. ``scope`` says in
    the audit log what was opened (an event, an edition).
    """
    opens_at = whole_minute(opens_at) if opens_at is not None else None
    changed = 0
    with writing():
        for session in sessions:
            if session.booking_opens_at != opens_at or session.opening_pending:
                session.booking_opens_at, session.opening_pending = opens_at, False
                changed += 1
        db.session.flush()
        audit(
            "booking.opening_set", actor, None, opens_at=opens_at and opens_at.isoformat(), **scope
        )
    return changed


@writes
def open_event(
    event_id: int, opens_at: datetime | None, *, actor: str, now: datetime | None = None
) -> int:
    """Set when booking opens for every session of an event still to come."""
    now = now or utcnow()
    _event(event_id)
    sessions = db.session.scalars(
        select(EventSession)
        .where(EventSession.event_id == event_id, EventSession.starts_at > now)
        .where(EventSession.cancelled_at.is_(None))
        .order_by(EventSession.id)  # the lock order every writer uses
        .with_for_update(of=EventSession)
    ).all()
    return set_opening(list(sessions), opens_at, actor=actor, scope={"event_id": event_id})
