"""What each optimisation of the hot paths is worth on its own, in-process, in one run.

A crowd refused on a full session costs the machine three kinds of request: the session
page, the refused booking POST, and the live poll's 304; the few who get a seat cost a
confirmed booking POST. For each of them this script times the app as it is ("baseline")
against the app with one optimisation switched off:

* ``no-fragment-cache``: ``FRAGMENT_CACHE_SIZE=0``, every shared page part rendered anew;
* ``statements-built-per-call``: each statement that the ledger, the seat reads and the
  booking build once at import is built anew for every execution (construction and cache
  key, as code building its statements in the function would pay);
* ``transactional-reads`` (PostgreSQL only): a request's reads inside BEGIN … COMMIT
  instead of autocommit.

A variant's patches are in place only while its own requests run.

Variants run in turn, round after round (A B C A B C …), on the same database and the same
warm process, so a drift of the machine's speed touches them all alike; the figure is the
median time per request of each variant and its ratio to the baseline.

    .venv/bin/python bench/clever_parts.py                  # SQLite and PostgreSQL
    .venv/bin/python bench/clever_parts.py --db sqlite --rounds 9 --requests 150
"""

from __future__ import annotations

import argparse
import contextlib
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import flask_migrate  # noqa: E402
from sqlalchemy import and_, bindparam, create_engine, exists, func, select, text, update  # noqa: E402
from sqlalchemy.orm import Session, aliased, lazyload  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import (  # noqa: E402
    SEATS_COUNTER,
    Booking,
    BookingStatus,
    ChangeCounter,
    Event,
    EventKind,
    EventSession,
    Venue,
)
from app.services import booking as booking_service  # noqa: E402
from app.services import booking_request, ledger, seat_reads  # noqa: E402
from app.timeutil import utcnow  # noqa: E402

BASE: dict[str, Any] = {
    "SECRET_KEY": "bench-only",
    "RATELIMIT_ENABLED": False,
    "MAIL_SEND_AFTER_COMMIT": False,
    "HTMX_SOURCE": "local",
    "BOOKING_MAX_SEATS_PER_EMAIL": 1000,
}


def two_sessions(app: Any) -> tuple[int, int]:
    """A session of 2 seats, both booked (every form refused), and one that never fills."""
    with app.app_context():
        venue = Venue(name="Le Hub", city="30100 Alès", step_free=True)
        event = Event(
            slug=f"bench-{uuid.uuid4().hex[:8]}",
            kind=EventKind.VISIT,
            title="Exposition commentée",
            venue=venue,
        )
        start = utcnow() + timedelta(days=7)
        full, roomy = (
            EventSession(
                event=event, starts_at=start, ends_at=start + timedelta(hours=1), capacity=seats
            )
            for seats in (2, 1_000_000)
        )
        db.session.add_all([full, roomy])
        db.session.commit()
        booking_service.book(
            booking_service.BookingRequest(full.id, "Marie Curie", "marie@example.fr", 2)
        )
        db.session.commit()
        return full.id, roomy.id


Patch = Callable[[], contextlib.AbstractContextManager[Any]]


@contextlib.contextmanager
def unpatched() -> Iterator[None]:
    """The app as it is."""
    yield


def _lapsed() -> Any:
    return and_(
        Booking.status == BookingStatus.OFFERED, Booking.offer_expires_at <= bindparam("now")
    )


def _session_and_lapsed_offers() -> Any:
    return select(
        EventSession,
        exists().where(Booking.session_id == EventSession.id, _lapsed()).label("offers_lapsed"),
    ).where(EventSession.id == bindparam("session_id"))


def _page_session() -> Any:
    return _session_and_lapsed_offers().options(lazyload(EventSession.event))


def _page_session_and_nonce() -> Any:
    by_nonce = aliased(Booking, name="by_nonce")
    return (
        _page_session()
        .add_columns(
            by_nonce.id.label("nonce_booking_id"), by_nonce.session_id.label("nonce_session_id")
        )
        .outerjoin(by_nonce, by_nonce.request_nonce == bindparam("nonce"))
    )


def _claim() -> Any:
    sessions = EventSession.__table__
    return (
        update(sessions)
        .where(
            sessions.c.id == bindparam("session_id"),
            sessions.c.cancelled_at.is_(None),
            sessions.c.seats_taken + bindparam("seats") <= sessions.c.capacity,
        )
        .values(
            seats_taken=sessions.c.seats_taken + bindparam("seats"),
            version=sessions.c.version + 1,
        )
        .returning(sessions.c.seats_taken, sessions.c.version)
    )


def _bump() -> Any:
    counter = ChangeCounter.__table__
    return update(counter).where(counter.c.name == SEATS_COUNTER).values(value=counter.c.value + 1)


# Each statement built at import, with what builds an equivalent anew.
FRESH: dict[str, tuple[Any, Callable[[], Any]]] = {
    "ledger._BUMP": (ledger._BUMP, _bump),
    "ledger._CLAIM": (ledger._CLAIM, _claim),
    "ledger._CLAIM_BEHIND_WAITING_LIST": (
        ledger._CLAIM_BEHIND_WAITING_LIST,
        lambda: _claim().where(EventSession.__table__.c.seats_waiting == 0),
    ),
    "seat_reads._ANY_LAPSED_OFFER": (
        seat_reads._ANY_LAPSED_OFFER,
        lambda: select(Booking.id).where(_lapsed()).limit(1),
    ),
    "seat_reads._LAPSED_OFFER_IN_SESSION": (
        seat_reads._LAPSED_OFFER_IN_SESSION,
        lambda: (
            select(Booking.id)
            .where(_lapsed())
            .limit(1)
            .where(Booking.session_id == bindparam("session_id"))
        ),
    ),
    "seat_reads._SESSION_AND_LAPSED_OFFERS": (
        seat_reads._SESSION_AND_LAPSED_OFFERS,
        _session_and_lapsed_offers,
    ),
    "seat_reads._PAGE_SESSION": (seat_reads._PAGE_SESSION, _page_session),
    "seat_reads._PAGE_SESSION_AND_NONCE": (
        seat_reads._PAGE_SESSION_AND_NONCE,
        _page_session_and_nonce,
    ),
    "seat_reads._NEXT_DEADLINE": (
        seat_reads._NEXT_DEADLINE,
        lambda: select(func.min(Booking.offer_expires_at)).where(
            Booking.status == BookingStatus.OFFERED
        ),
    ),
    "booking._SEATS_HELD_BY_ADDRESS": (
        booking_service._SEATS_HELD_BY_ADDRESS,
        lambda: select(func.coalesce(func.sum(Booking.seats), 0)).where(
            Booking.session_id == bindparam("session_id"),
            Booking.email == bindparam("email"),
            Booking.status.in_(booking_service.COUNTED_PER_PERSON),
        ),
    ),
    "booking_request._BOOKING_BY_NONCE": (
        booking_request._BOOKING_BY_NONCE,
        lambda: select(Booking.id, Booking.session_id).where(
            Booking.request_nonce == bindparam("nonce")
        ),
    ),
}
REBUILT: Counter[str] = Counter()


def check_fresh_statements() -> None:
    """Each builder makes the prebuilt statement again: same cache key, hence same SQL."""
    for name, (prebuilt, build) in FRESH.items():
        fresh = build()
        assert fresh is not prebuilt, name
        assert fresh._generate_cache_key() == prebuilt._generate_cache_key(), name


@contextlib.contextmanager
def statements_built_per_call() -> Iterator[None]:
    """Every execution of a prebuilt statement runs a freshly built equivalent instead."""
    builders = {id(prebuilt): (name, build) for name, (prebuilt, build) in FRESH.items()}
    execute, scalar = Session.execute, Session.scalar

    def fresh(statement: Any) -> Any:
        found = builders.get(id(statement))
        if found is None:
            return statement
        REBUILT[found[0]] += 1
        return found[1]()

    def fresh_execute(self: Session, statement: Any, *args: Any, **kwargs: Any) -> Any:
        return execute(self, fresh(statement), *args, **kwargs)

    def fresh_scalar(self: Session, statement: Any, *args: Any, **kwargs: Any) -> Any:
        return scalar(self, fresh(statement), *args, **kwargs)

    Session.execute = fresh_execute  # type: ignore[method-assign]
    Session.scalar = fresh_scalar  # type: ignore[method-assign]
    try:
        yield
    finally:
        Session.execute = execute  # type: ignore[method-assign]
        Session.scalar = scalar  # type: ignore[method-assign]


def variants(config: dict[str, Any], postgresql: bool) -> dict[str, tuple[Any, Patch]]:
    """One app per variant, on the same database, with what it patches while it runs."""
    apps: dict[str, tuple[Any, Patch]] = {
        "baseline": (create_app(config), unpatched),
        "no-fragment-cache": (create_app({**config, "FRAGMENT_CACHE_SIZE": 0}), unpatched),
        "statements-built-per-call": (create_app(config), statements_built_per_call),
    }
    if postgresql:
        transactional = create_app(config)
        hooks = transactional.before_request_funcs.get(None, [])
        transactional.before_request_funcs[None] = [
            hook for hook in hooks if hook.__name__ != "_reads_in_autocommit"
        ]
        assert len(transactional.before_request_funcs[None]) == len(hooks) - 1
        apps["transactional-reads"] = (transactional, unpatched)
    return apps


def requests_of(session_id: int, roomy_id: int) -> dict[str, Callable[[Any], int]]:
    """The requests of a crowd on a full session (and of the few who book), with status."""

    def page(client: Any) -> int:
        return client.get(f"/sessions/{session_id}").status_code

    def refused(client: Any) -> int:
        token = getattr(client, "csrf_token", None)
        if token is None:  # tokens belong to the client's session and never expire
            html = client.get(f"/sessions/{session_id}").get_data(as_text=True)
            token = client.csrf_token = re.search(r'name="csrf_token" value="([^"]+)"', html)[1]
        form = {"name": "Ada Lovelace", "email": "ada@example.fr", "seats": "1"}
        form.update(nonce=uuid.uuid4().hex, csrf_token=token)
        return client.post(f"/sessions/{session_id}", data=form).status_code

    def poll(client: Any) -> int:
        etag = getattr(client, "live_etag", None)
        if etag is None:  # nothing changes until the bookings: the page's ETag stays current
            etag = client.live_etag = client.get("/live/seats").headers["ETag"]
        return client.get("/live/seats", headers={"If-None-Match": etag}).status_code

    def confirmed(client: Any) -> int:
        token = client.csrf_token  # the refusals came first and took one
        email = f"{uuid.uuid4().hex[:12]}@example.fr"  # nobody reaches the per-person cap
        form = {"name": "Ada Lovelace", "email": email, "seats": "1"}
        form.update(nonce=uuid.uuid4().hex, csrf_token=token)
        return client.post(f"/sessions/{roomy_id}", data=form).status_code

    # The bookings last: they move the live counter, which the poll's ETag follows.
    return {
        "session page": page,
        "refused booking": refused,
        "live poll 304": poll,
        "confirmed booking": confirmed,
    }


EXPECTED = {
    "session page": 200,
    "refused booking": 409,
    "live poll 304": 304,
    "confirmed booking": 303,
}


def measure(
    apps: dict[str, tuple[Any, Patch]], sessions: tuple[int, int], rounds: int, count: int
) -> None:
    """Alternate the variants, round after round; print medians and ratios."""
    clients = {name: (app.test_client(), patch) for name, (app, patch) in apps.items()}
    for label, send in requests_of(*sessions).items():
        for client, patch in clients.values():  # warm: templates, statements, caches
            with patch():
                for _ in range(20):
                    assert send(client) == EXPECTED[label], label
        times: dict[str, list[float]] = {name: [] for name in apps}
        REBUILT.clear()
        for _ in range(rounds):
            for name, (client, patch) in clients.items():
                with patch():
                    started = time.perf_counter()
                    for _ in range(count):
                        send(client)
                    times[name].append((time.perf_counter() - started) / count)
        base = statistics.median(times["baseline"])
        rebuilt = ", ".join(
            f"{name} ×{total / (rounds * count):.1f}" for name, total in sorted(REBUILT.items())
        )
        print(f"  {label} (statements rebuilt per request: {rebuilt or 'none'}):")
        for name, values in times.items():
            median = statistics.median(values)
            spread = (min(values) * 1000, max(values) * 1000)
            print(
                f"    {name:26} {median * 1000:6.2f} ms  ({spread[0]:.2f}–{spread[1]:.2f})"
                f"  ×{median / base:.2f}"
            )


def sqlite_config(directory: str) -> dict[str, Any]:
    """A fresh SQLite file."""
    return {**BASE, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{directory}/bench.sqlite3"}


def main() -> None:
    """Run the comparison on the chosen databases."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=100, help="per variant and round")
    parser.add_argument("--pg-server", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    if args.db in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as directory:
            config = sqlite_config(directory)
            run("SQLite", config, args, postgresql=False)
    if args.db in ("postgresql", "both"):
        from app.config import normalise_database_url

        url = normalise_database_url(args.pg_server)
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            config = {
                **BASE,
                "SQLALCHEMY_DATABASE_URI": url,
                "SQLALCHEMY_ENGINE_OPTIONS": {
                    "connect_args": {"options": f"-c search_path={schema}"}
                },
            }
            run("PostgreSQL", config, args, postgresql=True)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


def run(name: str, config: dict[str, Any], args: argparse.Namespace, *, postgresql: bool) -> None:
    """Migrate, seed a full session, measure."""
    migrating = create_app(config)
    with migrating.app_context():
        flask_migrate.upgrade(directory=str(ROOT / "migrations"))
        db.engine.dispose()
    sessions = two_sessions(migrating)
    check_fresh_statements()
    print(f"{name}: {args.rounds} rounds of {args.requests} requests per variant")
    measure(variants(config, postgresql), sessions, args.rounds, args.requests)


if __name__ == "__main__":
    main()
