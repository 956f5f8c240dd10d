"""What one request of the rush costs, in-process, for several versions of the code at once.

A rush on a full session costs the machine the session page (GET), the booking POST that
is refused (409) and, for the few who get a seat, the booking POST that is confirmed (303);
the open programme pages add the live poll's 304. This script times those requests through
Flask's test client for several copies of the code (a checkout each: the code under test,
and older commits to compare against), each in its own process with its own database, and
counts the SQL statements each request sends.

Each version runs in a worker process started with ``PYTHONPATH`` at its checkout, so it
imports that checkout's app and templates and nothing of this one. The workers are driven
in turn, round after round (A B C A B C …), so that a drift of the machine's speed touches
them all alike. The figure is the CPU time of the worker (``time.process_time``: the app,
Flask, SQLAlchemy and the database driver, not PostgreSQL's backend), which the load of
other processes on the machine disturbs much less than wall time; the median over the
rounds, with its ratio to the first version. The statements per request are the same in
every round.

    .venv/bin/python bench/request_cost.py here=. base=/work/wt/base
    .venv/bin/python bench/request_cost.py --db postgresql --rounds 9 here=. base=/path
    .venv/bin/python bench/request_cost.py --profile /tmp/prof here=.   # cProfile files

The request log (one JSON line per request, where the version writes one) goes to a file
in a temporary folder, as it would go to the journal under gunicorn. PostgreSQL runs use a
schema of their own, per worker, in ``--pg-url`` (dropped at the end).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# The rush's requests, in the order they run (the bookings last: they move the counter).
REQUESTS = ("hello", "session page", "refused booking", "live poll 304", "confirmed booking")
EXPECTED = {
    "hello": 200,
    "session page": 200,
    "refused booking": 409,
    "live poll 304": 304,
    "confirmed booking": 303,
}


# ----------------------------------------------------------------------- worker


def worker(args: argparse.Namespace) -> None:
    """One version of the code, one database; answers the driver's commands on stdout."""
    import cProfile
    import pstats

    import flask_migrate
    from sqlalchemy import create_engine, event, text

    from app import create_app
    from app.extensions import db

    config: dict[str, Any] = {
        "SECRET_KEY": "bench-only",
        "RATELIMIT_ENABLED": False,
        "MAIL_SEND_AFTER_COMMIT": False,
        "HTMX_SOURCE": "local",
        "BOOKING_MAX_SEATS_PER_EMAIL": 1000,
        "SQLALCHEMY_DATABASE_URI": args.db_url,
        "BENCH_ROUTES": True,  # /bench/hello: what every request costs, whatever its route
    }
    if args.redis:  # the rate limits on, in Redis, with limits nobody reaches here
        config.update(
            RATELIMIT_ENABLED=True,
            RATELIMIT_STORAGE_URI=args.redis,
            RATELIMIT_KEY_PREFIX=f"bench-{uuid.uuid4().hex[:8]}",
            # Two limits, as the booking's own (a minute's and an hour's): two counters.
            RATELIMIT_BOOKING="1000000/minute;10000000/hour",
            RATELIMIT_LOOKUP="1000000/minute",
            RATELIMIT_API="1000000/minute",
        )
    admin = None
    if args.schema:
        admin = create_engine(args.db_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{args.schema}"'))
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "connect_args": {"options": f"-c search_path={args.schema}"}
        }
    try:
        app = create_app(config)
        with app.app_context():
            flask_migrate.upgrade(directory=str(Path(args.root) / "migrations"))
            full, roomy = seed(db, args.siblings)
            statements = [0]
            seen: list[str] = []

            def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
                statements[0] += 1
                seen.append(" ".join(statement.split())[:160])

            event.listen(db.engine, "before_cursor_execute", count)
        gc_time = [0.0, 0.0]  # seconds collecting, when the current collection started

        def gc_watch(phase: str, _info: dict[str, int]) -> None:
            if phase == "start":
                gc_time[1] = time.process_time()
            else:
                gc_time[0] += time.process_time() - gc_time[1]

        gc.callbacks.append(gc_watch)
        if args.gc_freeze:
            gc.collect()
            gc.freeze()
        sends = requests_of(full, roomy)
        client = app.test_client()
        reply({"ready": True})
        for line in sys.stdin:
            command, label, number = line.split("\t")
            send = sends[label]
            if command == "warm":
                for _ in range(int(number)):
                    status = send(client)
                    if status != EXPECTED[label]:
                        raise SystemExit(f"{label}: {status}, not {EXPECTED[label]}")
                reply({"ok": True})
            elif command == "run":
                before, cpu, wall = statements[0], time.process_time(), time.perf_counter()
                collecting = gc_time[0]
                for _ in range(int(number)):
                    send(client)
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                reply(
                    {
                        "cpu": cpu / int(number),
                        "wall": wall / int(number),
                        "statements": (statements[0] - before) / int(number),
                        "gc": (gc_time[0] - collecting) / int(number),
                    }
                )
            elif command == "sql":
                seen.clear()
                send(client)
                reply({"sql": seen})
            elif command == "profile":
                count_, path = number.rsplit(":", 1)
                profiler = cProfile.Profile()
                profiler.enable()
                for _ in range(int(count_)):
                    send(client)
                profiler.disable()
                profiler.dump_stats(path.strip())
                calls = pstats.Stats(profiler).total_calls  # type: ignore[attr-defined]
                reply({"calls": calls / int(count_)})
    finally:
        with app.app_context():
            db.engine.dispose()
        if admin is not None:
            with admin.connect() as connection:
                connection.execute(text(f'DROP SCHEMA "{args.schema}" CASCADE'))
            admin.dispose()


def reply(message: dict[str, Any]) -> None:
    """One JSON line to the driver."""
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def seed(db: Any, siblings: bool) -> tuple[int, int]:
    """A session of 2 seats, both booked (every form refused), and one that never fills.

    As in the rush of ticket_rush.py and load.py, the full session is the only one of its
    event, unless ``siblings``: then the other is in the same event.
    """
    from datetime import timedelta

    from app.models import Event, EventKind, EventSession, Venue
    from app.services import booking as booking_service
    from app.timeutil import utcnow

    venue = Venue(name="Le Hub", city="30100 Alès", step_free=True)
    events = [
        Event(slug=f"bench-{uuid.uuid4().hex[:8]}", kind=EventKind.VISIT, title=title, venue=venue)
        for title in ("Exposition commentée", "Atelier minéraux")
    ]
    if siblings:  # the full session's event has another session, which its page lists
        events[1] = events[0]
    start = utcnow() + timedelta(days=7)
    full, roomy = (
        EventSession(event=event, starts_at=start, ends_at=start + timedelta(hours=1), capacity=n)
        for event, n in zip(events, (2, 1_000_000), strict=True)
    )
    db.session.add_all([full, roomy])
    db.session.commit()
    booking_service.book(
        booking_service.BookingRequest(full.id, "Marie Curie", "marie@example.fr", 2)
    )
    db.session.commit()
    return full.id, roomy.id


def requests_of(session_id: int, roomy_id: int) -> dict[str, Any]:
    """Each request of the rush as a function of the test client, returning the status."""

    def token_of(client: Any) -> str:
        token = getattr(client, "csrf_token", None)
        if token is None:  # tokens belong to the client's session and never expire
            html = client.get(f"/sessions/{session_id}").get_data(as_text=True)
            found = re.search(r'name="csrf_token" value="([^"]+)"', html)
            assert found is not None
            token = client.csrf_token = found[1]
        return str(token)

    def hello(client: Any) -> int:
        return int(client.get("/bench/hello").status_code)

    def page(client: Any) -> int:
        return int(client.get(f"/sessions/{session_id}").status_code)

    def refused(client: Any) -> int:
        form = {"name": "Ada Lovelace", "email": "ada@example.fr", "seats": "1"}
        form.update(nonce=uuid.uuid4().hex, csrf_token=token_of(client))
        return int(client.post(f"/sessions/{session_id}", data=form).status_code)

    def poll(client: Any) -> int:
        etag = getattr(client, "live_etag", None)
        if etag is None:  # nothing changes until the bookings: the page's ETag stays current
            etag = client.live_etag = client.get("/live/seats").headers["ETag"]
        return int(client.get("/live/seats", headers={"If-None-Match": etag}).status_code)

    def confirmed(client: Any) -> int:
        email = f"{uuid.uuid4().hex[:12]}@example.fr"  # nobody reaches the per-person cap
        form = {"name": "Ada Lovelace", "email": email, "seats": "1"}
        form.update(nonce=uuid.uuid4().hex, csrf_token=token_of(client))
        return int(client.post(f"/sessions/{roomy_id}", data=form).status_code)

    return {
        "hello": hello,
        "session page": page,
        "refused booking": refused,
        "live poll 304": poll,
        "confirmed booking": confirmed,
    }


# ----------------------------------------------------------------------- driver


class Worker:
    """A worker process for one version on one database."""

    def __init__(
        self,
        name: str,
        root: Path,
        db: str,
        pg_url: str,
        redis: str,
        logs: Path,
        multiproc: bool,
        siblings: bool,
        gc_freeze: bool,
    ):
        self.name = name
        command = [sys.executable, str(Path(__file__).resolve()), "--worker", "--root", str(root)]
        if db == "sqlite":
            command += ["--db-url", f"sqlite:///{logs}/{name}.sqlite3"]
        else:
            command += ["--db-url", pg_url, "--schema", f"bench_{uuid.uuid4().hex[:8]}"]
        if redis:
            command += ["--redis", redis]
        if siblings:
            command += ["--siblings"]
        if gc_freeze:
            command += ["--gc-freeze"]
        self.log = logs / f"{name}-{db}.log"
        env = {**os.environ, "PYTHONPATH": str(root), "PYTHONHASHSEED": "0"}
        env.pop("REDIS_URL", None)
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        if multiproc:  # as under deploy/gunicorn.conf.py: each value in a shared file
            folder = logs / f"prometheus-{name}-{db}"
            folder.mkdir()
            env["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
        self.process = subprocess.Popen(
            command,
            cwd=root,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log.open("w"),
            text=True,
        )
        self.read()

    def read(self) -> dict[str, Any]:
        """The worker's next answer; its log's end if it died."""
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            tail = self.log.read_text(errors="replace").splitlines()[-30:]
            raise SystemExit(f"worker {self.name} died:\n" + "\n".join(tail))
        return dict(json.loads(line))

    def ask(self, command: str, label: str, number: str) -> dict[str, Any]:
        """Send one command, wait for its answer."""
        assert self.process.stdin is not None
        self.process.stdin.write(f"{command}\t{label}\t{number}\n")
        self.process.stdin.flush()
        return self.read()

    def stop(self) -> None:
        """Close its input: it cleans up and exits."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=60)


def drive(args: argparse.Namespace, db: str, versions: dict[str, Path], logs: Path) -> None:
    """Start one worker per version, alternate them, print the medians."""
    workers = [
        Worker(
            name,
            root,
            db,
            args.pg_url,
            args.redis,
            logs,
            args.multiproc,
            args.siblings,
            args.gc_freeze,
        )
        for name, root in versions.items()
    ]
    try:
        first = workers[0].name
        print(f"{db}: {args.rounds} rounds of {args.requests} requests per version")
        print(
            f"  {'':18} {'version':10} {'CPU ms':>8} {'range':>13} {'ratio':>6} {'wall ms':>8} SQL"
        )
        for label in args.only or REQUESTS:
            for w in workers:  # warm: templates, statements, caches, pool
                w.ask("warm", label, "30")
            results: dict[str, list[dict[str, Any]]] = {w.name: [] for w in workers}
            for turn in range(args.rounds):
                order = workers if turn % 2 == 0 else workers[::-1]
                for w in order:
                    results[w.name].append(w.ask("run", label, str(args.requests)))
            base = statistics.median(r["cpu"] for r in results[first])
            for w in workers:
                cpu = [r["cpu"] * 1000 for r in results[w.name]]
                wall = statistics.median(r["wall"] for r in results[w.name]) * 1000
                sql = statistics.median(r["statements"] for r in results[w.name])
                collecting = statistics.median(r["gc"] for r in results[w.name]) * 1000
                median = statistics.median(cpu)
                print(
                    f"  {label:18} {w.name:10} {median:8.2f} {min(cpu):6.2f}–{max(cpu):6.2f}"
                    f" ×{median / 1000 / base:5.2f} {wall:8.2f} {sql:4.1f} {collecting:6.3f}"
                )
            if args.sql:
                for w in workers:
                    print(f"    {w.name}:")
                    for statement in w.ask("sql", label, "1")["sql"]:
                        print(f"      {statement}")
            if args.profile:
                for w in workers:
                    path = Path(args.profile) / f"{db}-{w.name}-{label.replace(' ', '_')}.prof"
                    calls = w.ask("profile", label, f"{args.requests * 4}:{path}")["calls"]
                    print(f"    {w.name}: {calls:.0f} Python function calls per request ({path})")
    finally:
        for w in workers:
            w.stop()


def main() -> None:
    """Parse the versions, run each database."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("versions", nargs="*", help="name=checkout, the first one the base")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=50, help="per version and round")
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--redis", default="", help="rate limits on, stored there")
    parser.add_argument(
        "--multiproc", action="store_true", help="metrics in files, as deploy/gunicorn.conf.py"
    )
    parser.add_argument(
        "--siblings", action="store_true", help="the full session's event has another session"
    )
    parser.add_argument("--gc-freeze", action="store_true", help="gc.freeze() once warm")
    parser.add_argument(
        "--only", type=lambda v: v.split(","), default=None, help="e.g. hello,refused booking"
    )
    parser.add_argument("--sql", action="store_true", help="print each request's SQL")
    parser.add_argument("--profile", default="", help="a folder for cProfile files")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    parser.add_argument("--db-url", help=argparse.SUPPRESS)
    parser.add_argument("--schema", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        sys.path.insert(0, args.root)
        worker(args)
        return
    versions = {}
    for item in args.versions or ["here=."]:
        name, _, path = item.partition("=")
        versions[name] = Path(path or ".").resolve()
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
    started = time.strftime("%H:%M:%S")
    print(f"started {started}, load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as logs:
        for db in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
            drive(args, db, versions, Path(logs))
    print(f"ended {time.strftime('%H:%M:%S')}, load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
