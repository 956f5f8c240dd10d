"""The door's sync endpoint and day data, on both databases: the tablet back online."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import CheckIn, DoorAction, EventSession, StandbyEntry
from app.services.ledger import check_ledger
from app.timeutil import utcnow

from .test_checkin import book, token


@pytest.fixture
def door(client, staff_login):
    """A client signed in as door staff."""
    return staff_login(client, "checkin", "door@mines-ales.fr")


def nonce() -> str:
    """A tablet's nonce for one action."""
    return uuid.uuid4().hex


def sync(door, session_id, actions, status=200):
    """Send a batch as the tablet does (JSON, CSRF token in a header); the answers."""
    response = door.post(
        "/checkin/sync",
        json={"actions": actions},
        headers={"X-CSRFToken": token(door, session_id)},
    )
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_json()


def standing(app, session_id):
    """(booking id, seats) of every check-in still standing, and the session's seats taken."""
    with app.app_context():
        rows = db.session.execute(
            select(CheckIn.booking_id, CheckIn.seats)
            .where(CheckIn.session_id == session_id, CheckIn.undone_at.is_(None))
            .order_by(CheckIn.id)
        ).all()
        taken = db.session.get(EventSession, session_id).seats_taken
        assert check_ledger() == []
        return [tuple(row) for row in rows], taken


def test_a_batch_is_applied_in_order_and_each_action_answered(app, door, make_session):
    session_id = make_session(capacity=10, starts_in=timedelta(minutes=30))
    marie, lise = book(app, session_id, 2), book(app, session_id, 3, "Lise Meitner")
    first, walk = nonce(), nonce()
    answers = sync(
        door,
        session_id,
        [
            {"nonce": first, "kind": "check_in", "session": session_id, "code": marie["code"]},
            {
                "nonce": nonce(),
                "kind": "check_in",
                "session": session_id,
                "booking": lise["id"],
                "seats": 1,
            },
            {"nonce": walk, "kind": "walk_in", "session": session_id, "seats": 2, "name": "Paul"},
            {"nonce": nonce(), "kind": "undo", "session": session_id, "target": first},
        ],
    )["results"]
    assert [a["outcome"] for a in answers] == ["done"] * 4
    assert "Marie Curie, 2 places" in answers[0]["message"]
    assert answers[3]["message"] == "Entrée annulée\u202f: Marie Curie."
    rows, taken = standing(app, session_id)
    assert [seats for _, seats in rows] == [1, 2]  # Lise's one seat, the walk-in's two
    assert taken == 2 + 3 + 2


def test_a_batch_sent_again_in_part_in_another_order_or_twice_changes_nothing_twice(
    app, door, make_session
):
    session_id = make_session(capacity=10, starts_in=timedelta(minutes=30))
    marie, lise = book(app, session_id, 2), book(app, session_id, 3, "Lise Meitner")
    tap = {"nonce": nonce(), "kind": "check_in", "session": session_id, "booking": marie["id"]}
    part = {
        "nonce": nonce(),
        "kind": "check_in",
        "session": session_id,
        "booking": lise["id"],
        "seats": 1,
    }
    walk = {"nonce": nonce(), "kind": "walk_in", "session": session_id, "seats": 2, "name": "Paul"}
    queue = {"nonce": nonce(), "kind": "standby", "session": session_id, "seats": 1, "name": "Léa"}
    undo = {"nonce": nonce(), "kind": "undo", "session": session_id, "target": part["nonce"]}
    batch = [tap, part, walk, queue, undo]
    first = sync(door, session_id, batch)["results"]
    assert [a["outcome"] for a in first] == ["done"] * 5
    after_once = standing(app, session_id)
    with app.app_context():
        check_ins = db.session.scalar(select(func.count()).select_from(CheckIn))
        actions = db.session.scalar(select(func.count()).select_from(DoorAction))

    again = sync(door, session_id, batch)["results"]  # the answer was lost: sent again
    reordered = sync(door, session_id, list(reversed(batch)))["results"]
    doubled = sync(door, session_id, [walk, walk, tap, undo, undo])["results"]
    assert [a["outcome"] for a in again + reordered + doubled] == ["done"] * 15
    assert [a["message"] for a in again] == [a["message"] for a in first]
    assert standing(app, session_id) == after_once
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CheckIn)) == check_ins
        assert db.session.scalar(select(func.count()).select_from(DoorAction)) == actions
        assert db.session.scalars(select(StandbyEntry.name)).all() == ["Léa"]


def test_a_nonce_sent_again_for_another_booking_is_refused_and_changes_nothing(
    app, door, make_session
):
    session_id = make_session(capacity=10, starts_in=timedelta(minutes=30))
    marie, lise = book(app, session_id, 2), book(app, session_id, 3, "Lise Meitner")
    used = nonce()
    sync(
        door,
        session_id,
        [{"nonce": used, "kind": "check_in", "session": session_id, "booking": marie["id"]}],
    )
    before = standing(app, session_id)
    answers = sync(
        door,
        session_id,
        [
            {"nonce": used, "kind": "check_in", "session": session_id, "booking": lise["id"]},
            {"nonce": used, "kind": "walk_in", "session": session_id, "seats": 1},
            {"nonce": used, "kind": "undo", "session": session_id, "target": used},
        ],
    )["results"]
    assert [(a["outcome"], a["code"]) for a in answers] == [("refused", "nonce_reused")] * 3
    assert standing(app, session_id) == before


def test_a_waiting_list_party_joins_the_door_queue_once_and_its_nonce_is_its_own(
    app, door, make_session
):
    """Offline, a waiting-list party at the door joins the queue (``join``): applied once,
    sent again it answers the same, and its nonce is refused for another party."""
    from .test_door_waitlist import booking_closes, full_session, party, queue

    session_id, _booked = full_session(app, make_session, 2, 2)
    ada = party(app, session_id, 1, "Ada Lovelace", waiting=True)
    bob = party(app, session_id, 2, "Bob Marley", waiting=True)
    early = nonce()
    [refused] = sync(
        door,
        session_id,
        [{"nonce": early, "kind": "join", "session": session_id, "booking": bob["id"]}],
    )["results"]
    assert (refused["outcome"], refused["code"]) == ("refused", "not_admissible")  # not closed yet
    booking_closes(app, session_id)
    joined = {"nonce": nonce(), "kind": "join", "session": session_id, "booking": bob["id"]}
    first = sync(door, session_id, [joined])["results"]
    assert first[0]["outcome"] == "done"
    assert first[0]["message"] == "Ajouté à l’attente à l’entrée\u202f: n° 1 de la file."
    again = sync(door, session_id, [joined, joined])["results"]
    assert [a["message"] for a in again] == [first[0]["message"]] * 2
    other = sync(door, session_id, [{**joined, "booking": ada["id"]}])["results"]
    assert (other[0]["outcome"], other[0]["code"]) == ("refused", "nonce_reused")
    assert queue(app, session_id) == ["Bob Marley"]
    with app.app_context():
        assert check_ledger() == []
    data = door.get("/checkin/day").get_json()
    [session] = [s for s in data["sessions"] if s["id"] == session_id]
    assert [(p["name"], p["rank"], p["at_door"]) for p in session["waiting_list"]] == [
        ("Ada Lovelace", 1, False),
        ("Bob Marley", 2, True),
    ]
    [entry] = session["standby"]
    assert (entry["name"], entry["booking"], entry["rank"], entry["held"]) == (
        "Bob Marley",
        bob["id"],
        2,
        False,
    )
    assert session["booking_closed"] is True


def test_before_the_close_the_day_data_lists_no_waiting_party(app, door, make_session):
    """Until booking closes, a waiting party is a ticket code and a status (it may not wait
    at the door yet), as on the server's board."""
    from .test_door_waitlist import full_session, party

    session_id, _booked = full_session(app, make_session, 2, 2)
    ada = party(app, session_id, 1, "Ada Lovelace", waiting=True)
    with app.app_context():  # in 3 hours (today, or tomorrow after 21 h: kept from 18 h)
        row = db.session.get(EventSession, session_id)
        row.starts_at = utcnow() + timedelta(hours=3)
        row.ends_at = row.starts_at + timedelta(hours=1)
        row.booking_closes_at = row.starts_at  # booking still open
        db.session.commit()
    data = door.get("/checkin/day").get_json()
    [session] = [s for s in data["sessions"] if s["id"] == session_id]
    assert session["waiting_list"] == [] and session["booking_closed"] is False
    assert {"code": ada["code"], "status": "waiting"} in session["refused"]
    assert "Ada Lovelace" not in json_text(session)


def json_text(value) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def test_refusals_are_answered_one_by_one_and_never_undo_the_actions_before_them(
    app, door, make_session
):
    """The same party let in by two tablets: the second is told who and when; the room full."""
    session_id = make_session(capacity=3, starts_in=timedelta(minutes=30))
    marie = book(app, session_id, 2)
    sync(
        door,
        session_id,
        [{"nonce": nonce(), "kind": "check_in", "session": session_id, "code": marie["code"]}],
    )
    answers = sync(
        door,
        session_id,
        [
            {
                "nonce": nonce(),
                "kind": "walk_in",
                "session": session_id,
                "seats": 1,
                "name": "Paul",
            },
            {"nonce": nonce(), "kind": "check_in", "session": session_id, "booking": marie["id"]},
            {"nonce": nonce(), "kind": "walk_in", "session": session_id, "seats": 2, "name": "Léa"},
        ],
    )["results"]
    assert [a["outcome"] for a in answers] == ["done", "refused", "refused"]
    assert answers[1]["code"] == "already_checked_in"
    assert "Déjà entrés\u202f: 2 places à" in answers[1]["message"]
    assert "(par door@mines-ales.fr)" in answers[1]["message"]
    assert answers[2] == {
        "nonce": answers[2]["nonce"],
        "kind": "walk_in",
        "outcome": "refused",
        "code": "no_seats_at_door",
        "message": "Plus aucune place libre.",
    }
    rows, taken = standing(app, session_id)
    assert [seats for _, seats in rows] == [2, 1] and taken == 3


def test_an_action_keeps_the_time_it_was_taken_offline(app, door, make_session):
    session_id = make_session(capacity=10, starts_in=timedelta(minutes=30))
    marie = book(app, session_id, 2)
    taken = (utcnow() - timedelta(minutes=25)).replace(microsecond=0)
    sync(
        door,
        session_id,
        [
            {
                "nonce": nonce(),
                "kind": "check_in",
                "session": session_id,
                "booking": marie["id"],
                "at": taken.isoformat(),
            }
        ],
    )
    with app.app_context():
        assert db.session.scalar(select(CheckIn.at)) == taken


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"actions": []},
        {"actions": [{"kind": "check_in", "session": 1, "booking": 1}]},  # no nonce
        {"actions": [{"nonce": "n", "kind": "explode", "session": 1}]},
        {"actions": [{"nonce": "n", "kind": "check_in", "session": 1}]},  # whom?
        {"actions": [{"nonce": "n", "kind": "check_in", "session": 2**40, "booking": 1}]},
        {"actions": [{"nonce": "n" * 65, "kind": "walk_in", "session": 1}]},
        {"actions": [{"nonce": "n", "kind": "walk_in", "session": 1, "seats": "2"}]},
    ],
)
def test_an_unreadable_batch_is_refused_whole_with_a_clear_message(app, door, make_session, body):
    session_id = make_session(capacity=10, starts_in=timedelta(minutes=30))
    book(app, session_id, 2)
    response = door.post(
        "/checkin/sync", json=body, headers={"X-CSRFToken": token(door, session_id)}
    )
    assert response.status_code == 422
    assert "aucune action n’a été enregistrée" in response.get_json()["error"]
    assert standing(app, session_id) == ([], 2)


def test_the_sync_needs_the_csrf_token_and_a_door_account(app, client, staff_login, make_session):
    session_id = make_session(capacity=10, starts_in=timedelta(minutes=30))
    marie = book(app, session_id, 2)
    action = {"nonce": nonce(), "kind": "check_in", "session": session_id, "booking": marie["id"]}
    anonymous = client.post("/checkin/sync", json={"actions": [action]})
    assert anonymous.status_code in (302, 400, 401)
    staff_login(client, "checkin", "door@mines-ales.fr")
    assert client.post("/checkin/sync", json={"actions": [action]}).status_code == 400
    assert standing(app, session_id) == ([], 2)


def test_the_day_data_holds_what_the_door_needs_and_answers_304_when_unchanged(
    app, door, make_session
):
    today = make_session(capacity=10, starts_in=timedelta(minutes=30), title="Visite du jour")
    next_week = make_session(capacity=10, starts_in=timedelta(days=7))
    marie = book(app, today, 2)
    book(app, next_week, 1, "Jean Moulin")
    first = door.get("/checkin/day")
    assert first.status_code == 200 and first.headers["ETag"]
    assert "no-store" not in first.headers["Cache-Control"]
    data = first.get_json()
    assert data["user"] == "door@mines-ales.fr"
    [session] = [s for s in data["sessions"] if s["id"] == today]
    assert next_week not in [s["id"] for s in data["sessions"]]
    [booking] = session["bookings"]
    assert booking["name"] == "Marie Curie" and booking["code"] == marie["code"]
    assert "email" not in booking and "marie@example.fr" not in first.get_data(as_text=True)

    unchanged = door.get("/checkin/day", headers={"If-None-Match": first.headers["ETag"]})
    assert unchanged.status_code == 304 and unchanged.get_data() == b""
    assert unchanged.headers["X-CSRF-Token"]
    sync(
        door,
        today,
        [{"nonce": nonce(), "kind": "check_in", "session": today, "booking": marie["id"]}],
    )
    changed = door.get("/checkin/day", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200
    [booking] = next(s for s in changed.get_json()["sessions"] if s["id"] == today)["bookings"]
    assert booking["in"] == 2 and booking["last"]["by"] == "door@mines-ales.fr"


def statements_of(app, call):
    """What ``call()`` answered, and the SQL statements it ran."""
    from sqlalchemy import event

    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        return call(), seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


DAY_TABLES = re.compile(r"\b(booking|check_in|standby_entry|event_session|door_action)\b", re.I)


def test_an_unchanged_day_answers_304_from_its_version_without_building_the_day(
    app, door, make_session
):
    session_id = make_session(capacity=10, starts_in=timedelta(minutes=30))
    book(app, session_id, 2)
    first = door.get("/checkin/day", headers={"Accept-Encoding": "gzip"})
    assert first.status_code == 200 and first.headers["Content-Encoding"] == "gzip"
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')  # compression leaves it whole, so it matches next time
    door.get("/checkin/day", headers={"If-None-Match": etag})  # the counter read and kept

    unchanged, sql = statements_of(
        app,
        lambda: door.get(
            "/checkin/day", headers={"If-None-Match": etag, "Accept-Encoding": "gzip"}
        ),
    )
    assert unchanged.status_code == 304 and unchanged.get_data() == b""
    assert unchanged.headers["ETag"] == etag and unchanged.headers["X-CSRF-Token"]
    assert [s for s in sql if DAY_TABLES.search(s)] == []  # the day is not built
    assert len(sql) <= 2, sql  # the signed-in account, at most the change counter


def test_a_check_in_a_booking_or_a_cancel_gives_the_day_a_new_version(app, door, make_session):
    from app.services import booking as booking_service

    session_id = make_session(capacity=10, starts_in=timedelta(minutes=30))
    marie = book(app, session_id, 2)
    seen = [door.get("/checkin/day").headers["ETag"]]

    def changed():
        answer = door.get("/checkin/day", headers={"If-None-Match": seen[-1]})
        assert answer.status_code == 200 and answer.headers["ETag"] not in seen
        seen.append(answer.headers["ETag"])
        return next(s for s in answer.get_json()["sessions"] if s["id"] == session_id)

    sync(
        door,
        session_id,
        [{"nonce": nonce(), "kind": "check_in", "session": session_id, "booking": marie["id"]}],
    )
    assert changed()["bookings"][0]["in"] == 2
    lise = book(app, session_id, 3, "Lise Meitner")
    assert [b["name"] for b in changed()["bookings"]] == ["Lise Meitner", "Marie Curie"]
    with app.app_context():
        booking_service.cancel(lise["token"])
        db.session.commit()
    assert [b["name"] for b in changed()["bookings"]] == ["Marie Curie"]
    assert door.get("/checkin/day", headers={"If-None-Match": seen[-1]}).status_code == 304


def test_a_new_minute_rebuilds_the_day_but_the_same_content_is_still_304(
    app, door, make_session, monkeypatch
):
    """The clock alone may change the day (booking closes): each minute the day is built
    again, and when nothing shows a difference the tablet still gets a 304, with the new
    version to ask with next time."""
    import app.services.checkin.day as door_day

    session_id = make_session(capacity=10, starts_in=timedelta(minutes=30))
    book(app, session_id, 2)
    etag = door.get("/checkin/day").headers["ETag"]
    later = utcnow() + timedelta(minutes=2)
    monkeypatch.setattr(door_day, "utcnow", lambda: later)
    answer, sql = statements_of(
        app, lambda: door.get("/checkin/day", headers={"If-None-Match": etag})
    )
    assert answer.status_code == 304
    assert [s for s in sql if DAY_TABLES.search(s)]  # built again
    newer = answer.headers["ETag"]
    assert newer != etag and newer.split(".")[-1] == etag.split(".")[-1]
    again, sql = statements_of(
        app, lambda: door.get("/checkin/day", headers={"If-None-Match": newer})
    )
    assert again.status_code == 304 and [s for s in sql if DAY_TABLES.search(s)] == []


def test_the_day_data_takes_tomorrow_from_the_evening_before(app):
    from datetime import datetime

    from app.services.checkin.day import door_days
    from app.timeutil import PARIS

    afternoon = datetime(2026, 5, 19, 17, 59, tzinfo=PARIS)
    evening = datetime(2026, 5, 19, 18, 0, tzinfo=PARIS)
    assert [d.isoformat() for d in door_days(afternoon)] == ["2026-05-19"]
    assert [d.isoformat() for d in door_days(evening)] == ["2026-05-19", "2026-05-20"]


def test_only_the_door_pages_are_marked_for_the_tablet_to_keep(app, door, make_session):
    session_id = make_session(capacity=10, starts_in=timedelta(minutes=30))
    page = door.get(f"/checkin/sessions/{session_id}")
    assert page.headers["Door-Offline"] == "keep"
    assert page.headers["Cache-Control"] == "private, no-cache"
    assert "Door-Offline" not in door.get(f"/checkin/sessions/{session_id}/release").headers
    assert "Door-Offline" not in door.get("/").headers
    assert "Door-Offline" not in door.get("/checkin/day").headers


def test_the_service_worker_is_scoped_to_the_door_and_named_after_its_files(app, door):
    worker = door.get("/checkin/sw.js")
    assert worker.status_code == 200
    assert worker.mimetype == "text/javascript"
    assert worker.headers["Cache-Control"] == "no-cache"
    assert "Content-Security-Policy" in worker.headers
    code = worker.get_data(as_text=True)
    config = code.split("\n", 1)[0]
    assert '"/assets/' in config and "css/app.css" in config and "jsQR.js" in config
    assert '"home": "/checkin/"' in config
    manifest = door.get("/checkin/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    assert manifest.get_json()["scope"] == "/checkin/"
    page = door.get("/checkin/").get_data(as_text=True)
    assert 'rel="manifest"' in page and "<script>" not in page


def test_the_home_page_on_a_day_without_sessions_points_to_the_next_day_with_some(
    app, door, make_session
):
    from app.timeutil import paris

    later = make_session(capacity=10, starts_in=timedelta(days=3))
    with app.app_context():
        day = paris(db.session.get(EventSession, later).starts_at).date()
    page = door.get("/checkin/").get_data(as_text=True)
    assert "Aucune séance ce jour-là." in page
    assert f'href="/checkin/?day={day.isoformat()}"' in page
    assert door.get(f"/checkin/?day={day.isoformat()}").status_code == 200


def test_a_new_version_of_the_door_files_gives_the_worker_a_new_cache_name(app, door, monkeypatch):
    from app.checkin import offline

    def version() -> str:
        first_line = door.get("/checkin/sw.js").get_data(as_text=True).split("\n", 1)[0]
        return re.search(r'"version": "([0-9a-f]+)"', first_line).group(1)

    today = version()
    assert version() == today  # the same files: the same worker, the same caches
    with app.test_request_context():
        files = offline.offline_assets()
    monkeypatch.setattr(offline, "offline_assets", lambda: [*files[:-1], "/assets/0000000000/x.js"])
    assert version() != today


@pytest.mark.app_config(HTMX_SOURCE="cdn")
def test_the_door_keeps_its_own_copy_of_htmx_where_the_public_pages_use_the_cdn(app, door):
    # Production serves htmx from a CDN; a tablet that lost the network could not fetch it
    # again, so the door pages load the local copy, and the service worker keeps it.
    from app.assets import HTMX_CDN_URL

    assert HTMX_CDN_URL in door.get("/").get_data(as_text=True)
    page = door.get("/checkin/").get_data(as_text=True)
    assert HTMX_CDN_URL not in page and "/vendor/htmx.min.js" in page
    config = door.get("/checkin/sw.js").get_data(as_text=True).split("\n", 1)[0]
    assert "/vendor/htmx.min.js" in config
