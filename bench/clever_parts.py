"""What each optimisation of the hot paths is worth on its own, in-process, in one run.

A crowd refused on a full session costs the machine three kinds of request: the session
page, the refused booking POST, and the live poll's 304. For each of them this script
times the app as it is ("baseline") against the app with one optimisation switched off:

* ``no-fragment-cache``: ``FRAGMENT_CACHE_SIZE=0``, every shared page part rendered anew;
* ``transactional-reads`` (PostgreSQL only): a request's reads inside BEGIN … COMMIT
  instead of autocommit.

Variants run in turn, round after round (A B C A B C …), on the same database and the same
warm process, so a drift of the machine's speed touches them all alike; the figure is the
median time per request of each variant and its ratio to the baseline.

    .venv/bin/python bench/clever_parts.py                  # SQLite and PostgreSQL
    .venv/bin/python bench/clever_parts.py --db sqlite --rounds 9 --requests 150
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import flask_migrate  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Event, EventKind, EventSession, Venue  # noqa: E402
from app.services import booking as booking_service  # noqa: E402
from app.timeutil import utcnow  # noqa: E402

BASE: dict[str, Any] = {
    "SECRET_KEY": "bench-only",
    "RATELIMIT_ENABLED": False,
    "MAIL_SEND_AFTER_COMMIT": False,
    "HTMX_SOURCE": "local",
    "BOOKING_MAX_SEATS_PER_EMAIL": 1000,
}


def full_session(app: Any) -> int:
    """A session of 2 seats, both booked: every booking form is refused."""
    with app.app_context():
        venue = Venue(name="Le Hub", city="30100 Alès", step_free=True)
        event = Event(
            slug=f"bench-{uuid.uuid4().hex[:8]}",
            kind=EventKind.VISIT,
            title="Exposition commentée",
            venue=venue,
        )
        start = utcnow() + timedelta(days=7)
        session = EventSession(
            event=event, starts_at=start, ends_at=start + timedelta(hours=1), capacity=2
        )
        db.session.add(session)
        db.session.commit()
        booking_service.book(
            booking_service.BookingRequest(session.id, "Marie Curie", "marie@example.fr", 2)
        )
        db.session.commit()
        return session.id


def variants(config: dict[str, Any], postgresql: bool) -> dict[str, Any]:
    """One app per variant, on the same database."""
    apps = {
        "baseline": create_app(config),
        "no-fragment-cache": create_app({**config, "FRAGMENT_CACHE_SIZE": 0}),
    }
    if postgresql:
        transactional = create_app(config)
        hooks = transactional.before_request_funcs.get(None, [])
        transactional.before_request_funcs[None] = [
            hook for hook in hooks if hook.__name__ != "_reads_in_autocommit"
        ]
        assert len(transactional.before_request_funcs[None]) == len(hooks) - 1
        apps["transactional-reads"] = transactional
    return apps


def requests_of(session_id: int) -> dict[str, Callable[[Any], int]]:
    """The three requests of a crowd on a full session, each returning its status."""

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
        if etag is None:  # nothing changes during the run: the page's ETag stays current
            etag = client.live_etag = client.get("/live/seats").headers["ETag"]
        return client.get("/live/seats", headers={"If-None-Match": etag}).status_code

    return {"session page": page, "refused booking": refused, "live poll 304": poll}


EXPECTED = {"session page": 200, "refused booking": 409, "live poll 304": 304}


def measure(apps: dict[str, Any], session_id: int, rounds: int, count: int) -> None:
    """Alternate the variants, round after round; print medians and ratios."""
    clients = {name: app.test_client() for name, app in apps.items()}
    for label, send in requests_of(session_id).items():
        for client in clients.values():  # warm: templates, statements, caches
            for _ in range(20):
                assert send(client) == EXPECTED[label], label
        times: dict[str, list[float]] = {name: [] for name in apps}
        for _ in range(rounds):
            for name, client in clients.items():
                started = time.perf_counter()
                for _ in range(count):
                    send(client)
                times[name].append((time.perf_counter() - started) / count)
        base = statistics.median(times["baseline"])
        print(f"  {label}:")
        for name, values in times.items():
            median = statistics.median(values)
            spread = (min(values) * 1000, max(values) * 1000)
            print(
                f"    {name:20} {median * 1000:6.2f} ms  ({spread[0]:.2f}–{spread[1]:.2f})"
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
    session_id = full_session(migrating)
    print(f"{name}: {args.rounds} rounds of {args.requests} requests per variant")
    measure(variants(config, postgresql), session_id, args.rounds, args.requests)


if __name__ == "__main__":
    main()
