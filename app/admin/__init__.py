"""The organisers' dashboard: events, sessions, capacities, attendees, waiting lists.

Every module registers its URL rules on the one blueprint ``bp``, so endpoint names stay
``admin.<view>`` whichever file a view lives in:

* sessions.py: the overview, a session's page, capacity, duplicate, cancel, edit, lists;
* bookings.py: one booking or waiting party (by phone, cancel, move, offer, priority);
* events.py: the events and their form;
* bad_day.py: every session of a day or of an event cancelled at once, after a preview;
* series.py: sessions from a rule, and when booking opens for an event;
* editions.py: the editions, a new one copied from an earlier one, opening its booking;
* mails.py: the mails' words (week and event), practical details, reminders;
* questions.py: an event's own booking questions;
* messages.py: e-mails to the people of a session or an event;
* statistics.py: the statistics page and its CSV;
* collection.py: specimens and their pictures;
* people.py: staff accounts, the audit log, personal-data exports (admins only);
* common.py: who acts, Paris times, downloads.
"""

from flask import Blueprint

from ..auth.guard import guard_blueprint
from ..models import Role

bp = Blueprint("admin", __name__, url_prefix="/admin")
guard_blueprint(bp, Role.ORGANISER)

from . import (  # noqa: E402,F401
    bad_day,
    bookings,
    collection,
    editions,
    events,
    mails,
    messages,
    people,
    questions,
    series,
    sessions,
    statistics,
)
