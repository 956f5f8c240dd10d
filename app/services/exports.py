"""Every CSV download of the dashboard: the writer, and what each file holds.

One writer for all of them, so that every file opens the same way in a French
spreadsheet: UTF-8 with a byte order mark (or accents come out garbled), semicolons
(the comma is the decimal separator there), CRLF line ends, and no cell that a
spreadsheet would run as a formula: names and titles are typed by the public.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime

from flask_babel import format_decimal

from ..i18n import gettext
from ..labels import booking_status_label, kind_label
from ..models import Booking, EventSession
from ..timeutil import paris
from . import attendees, questions, stats

# A cell starting with one of these is a formula (or hides one) to a spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """A cell a spreadsheet shows as text: a leading quote disarms a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(header: list[str], rows: Iterable[list[object]]) -> str:
    """The file's text: a BOM, then the header and the rows, semicolon-separated."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return "\ufeff" + buffer.getvalue()


def moment(value: datetime) -> str:
    """A date and time in Paris, sortable: « 2026-05-25 14:30 »."""
    return paris(value).strftime("%Y-%m-%d %H:%M")


def percent_number(value: float | None) -> str:
    """A rate as a number of percent for a spreadsheet (« 85,5 »); empty when there is none."""
    return "" if value is None else format_decimal(round(value * 100, 1), "0.#")


def _status_label(booking: Booking) -> str:
    """The booking's status in the current language."""
    return booking_status_label(booking)


def _kind_label(item: stats.SessionStats) -> str:
    """The session's kind of event in the current language."""
    return kind_label(item.kind)


def _answer_columns(
    session: EventSession, bookings: list[Booking]
) -> tuple[list[str], list[list[str]]]:
    """One column per question of the event (its wording in the current language), and
    each booking's answers in those columns."""
    asked = [
        questions.AskedQuestion.of(q)
        for q in questions.event_questions(session.event_id, with_removed=True)
    ]
    lines = questions.answer_lines(bookings)
    cells = []
    for booking in bookings:
        given = {line.question_id: line.answer for line in lines.get(booking.id, [])}
        cells.append([given.get(question.id, "") for question in asked])
    return [question.label() for question in asked], cells


def attendees_csv(session: EventSession) -> str:
    """The attendee list of a session, by name, with the answers to the event's questions."""
    people = attendees.attendees(session.id)
    question_header, answer_cells = _answer_columns(session, people)
    header = [
        gettext("Nom"),
        gettext("E-mail"),
        gettext("Téléphone"),
        gettext("Places"),
        gettext("Statut"),
        gettext("Code billet"),
        gettext("Arrivés"),
        gettext("Besoins d’accessibilité"),
        gettext("Réservé le"),
        *question_header,
    ]
    rows = (
        [
            b.name,
            b.email,
            b.phone,
            b.seats,
            _status_label(b),
            b.ticket_code,
            b.checked_in_seats,
            b.accessibility_needs,
            moment(b.created_at),
            *answers,
        ]
        for b, answers in zip(people, answer_cells, strict=True)
    )
    return to_csv(header, rows)


def waitlist_csv(session: EventSession) -> str:
    """The waiting list of a session, in queue order, with the answers to the questions."""
    parties = attendees.waiting(session.id)
    question_header, answer_cells = _answer_columns(session, parties)
    header = [
        gettext("Position"),
        gettext("Nom"),
        gettext("E-mail"),
        gettext("Téléphone"),
        gettext("Places"),
        gettext("Priorité"),
        gettext("Raison"),
        gettext("Inscrit le"),
        *question_header,
    ]
    rows = (
        [
            index,
            b.name,
            b.email,
            b.phone,
            b.seats,
            b.priority,
            b.priority_reason,
            moment(b.created_at),
            *answers,
        ]
        for index, (b, answers) in enumerate(zip(parties, answer_cells, strict=True), start=1)
    )
    return to_csv(header, rows)


def statistics_csv(now: datetime | None = None) -> str:
    """One row of counts per session that is not cancelled; no name, no address."""
    header = [
        gettext("Date"),
        gettext("Heure"),
        gettext("Événement"),
        gettext("Type"),
        gettext("Capacité"),
        gettext("Places confirmées"),
        gettext("Places proposées"),
        gettext("Places en attente"),
        gettext("Remplissage (%)"),
        gettext("Places accueillies"),
        gettext("Absences (%)"),
        gettext("Entrées sans réservation"),
        gettext("Réservations arrivées par déplacement"),
        gettext("Réservations parties par déplacement"),
    ]
    rows = (
        [
            paris(item.starts_at).strftime("%Y-%m-%d"),
            paris(item.starts_at).strftime("%H:%M"),
            item.title,
            _kind_label(item),
            item.capacity,
            item.confirmed,
            item.offered,
            item.waiting,
            percent_number(item.fill),
            item.checked_in,
            percent_number(item.no_show),
            item.walk_ins,
            item.moved_in,
            item.moved_out,
        ]
        for item in stats.session_stats(now)
    )
    return to_csv(header, rows)
