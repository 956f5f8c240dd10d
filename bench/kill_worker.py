"""Kill a gunicorn worker (SIGKILL) in the middle of a booking rush, then check the ledger.

What is checked, and why
------------------------
A worker can die at any instant: the kernel's OOM killer, a deploy gone wrong, a host
reboot. SIGKILL gives it no chance to clean up. What must hold afterwards is the ledger
invariant: every session's ``seats_taken`` equals the seats of its confirmed and offered
bookings, and ``seats_waiting`` those of its waiting parties. Each booking is one database
transaction, so a worker killed half-way leaves either all of it (row, counter, audit,
mail) or none of it: PostgreSQL rolls back the dropped connection's transaction, SQLite
ignores the uncommitted frames in its WAL and the kernel releases the dead process's lock.

For each database (SQLite, PostgreSQL) the script:

1. creates a fresh database with one session of capacity C (``harness.prepare_database``)
   and starts gunicorn with 4 sync workers and ``RATELIMIT_ENABLED=false``
   (``harness.gunicorn``);
2. fires N simultaneous one-seat bookings (``client.rush``) and, while they
   are being served, once a third of the seats are confirmed, SIGKILLs one worker, the one
   found running on a CPU at that instant if any (the likeliest to be inside a
   transaction); gunicorn's master starts a new one;
3. runs ``flask check-ledger`` and reads the bookings back from the database, then prints:
   the client-side outcome (303 / 409 / other 4xx / 5xx / no answer: the killed worker's
   clients get a reset connection / form failed: never got to post), the confirmed bookings and seats in the database
   against ``seats_taken`` and the capacity, and the ledger check's verdict.

The exit code is 0 when the ledger is consistent and nothing is oversold on every
database, 1 otherwise. Run from the repository root:
``.venv/bin/python bench/kill_worker.py --help``.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sys
import threading
import time
from collections import Counter
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from client import Attempt, classify, rush, server_address
from harness import (
    DEFAULT_PG_SERVER,
    app_environment,
    check_ledger,
    gunicorn,
    prepare_database,
    run_benches,
    tail,
)

DEFAULT_PG_DB = "minerales_kill_bench"


# ----------------------------------------------------------------------- the database


def connect(database_url: str) -> Any:
    """A plain DB-API connection in autocommit mode: every read sees the latest commits."""
    if database_url.startswith("sqlite:///"):
        import sqlite3

        return sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    import psycopg

    return psycopg.connect(database_url, autocommit=True)


CONFIRMED_SQL = "SELECT COUNT(*), COALESCE(SUM(seats), 0) FROM booking WHERE status = 'confirmed'"
COUNTERS_SQL = (
    "SELECT COALESCE(SUM(seats_taken), 0), COALESCE(SUM(capacity), 0), "
    "COALESCE(SUM(seats_waiting), 0) FROM event_session"
)


def booking_figures(connection: Any) -> dict[str, int]:
    """Confirmed bookings and seats, the waiting seats, and the session's counters."""
    bookings, seats = connection.execute(CONFIRMED_SQL).fetchone()
    taken, capacity, waiting = connection.execute(COUNTERS_SQL).fetchone()
    return {
        "bookings": int(bookings),
        "seats": int(seats),
        "seats_taken": int(taken),
        "capacity": int(capacity),
        "seats_waiting": int(waiting),
    }


# ---------------------------------------------------------------------- the processes


def processes() -> dict[int, tuple[int, str, str]]:
    """Every process: pid -> (parent pid, state letter, command line)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # it ended meanwhile
        # The command name (field 2) is in parentheses and may hold spaces.
        after = stat[stat.rindex(")") + 2 :].split()
        found[int(entry.name)] = (int(after[1]), after[0], cmdline)
    return found


def gunicorn_workers(base_url: str) -> tuple[int | None, dict[int, str]]:
    """The master's pid and its workers (pid -> state) for the gunicorn serving ``base_url``."""
    host, port = server_address(base_url)
    bind = f"{host}:{port}"
    table = processes()
    ours = {pid for pid, (_, _, cmd) in table.items() if "gunicorn" in cmd and bind in cmd}
    masters = [pid for pid in ours if table[pid][0] not in ours]
    if not masters:
        return None, {}
    master = masters[0]
    return master, {pid: table[pid][1] for pid in ours if table[pid][0] == master}


@dataclass
class Kill:
    """What the killer did: when, whom, and how far the rush had got."""

    pid: int | None = None
    state: str = ""
    confirmed_before: int = 0
    after_seconds: float = 0.0
    note: str = ""


def kill_midway(
    base_url: str, database_url: str, threshold: int, started: threading.Event, kill: Kill
) -> None:
    """Once ``threshold`` bookings are confirmed, SIGKILL a (preferably running) worker."""
    started.wait()
    begin = time.monotonic()
    deadline = begin + 120
    confirmed = 0
    with closing(connect(database_url)) as connection:
        while time.monotonic() < deadline:
            try:
                confirmed = booking_figures(connection)["bookings"]
            except Exception:  # the database is busy with the rush: look again
                confirmed = 0
            if confirmed >= threshold:
                break
            time.sleep(0.005)
        else:
            kill.note = "threshold never reached"
            return
    _master, workers = gunicorn_workers(base_url)
    if not workers:
        kill.note = "no worker found"
        return
    running = [pid for pid, state in workers.items() if state == "R"]
    victim = random.choice(running or list(workers))
    kill.pid, kill.state = victim, workers[victim]
    kill.confirmed_before = confirmed
    kill.after_seconds = time.monotonic() - begin
    os.kill(victim, signal.SIGKILL)


# ------------------------------------------------------------------------------ a run


@dataclass
class Result:
    """One database's run."""

    label: str
    clients: int
    capacity: int
    counts: Counter[str]
    kill: Kill
    figures: dict[str, int]
    ledger_ok: bool
    ledger_output: str
    workers_after: int
    problems: list[str] = field(default_factory=list)

    @property
    def consistent(self) -> bool:
        """The ledger check passed and the counters match the confirmed seats."""
        figures = self.figures
        return (
            self.ledger_ok
            and figures["seats_taken"] == figures["seats"]
            and figures["seats"] <= figures["capacity"]
        )

    @property
    def passed(self) -> bool:
        """Consistent, and a worker was really killed during the rush."""
        return self.consistent and self.kill.pid is not None


def run_one(label: str, database_url: str, args: argparse.Namespace, workdir: Path) -> Result:
    """Prepare, serve, rush, kill, check."""
    env = app_environment(database_url)
    session_id = prepare_database(env, args.capacity)
    log = workdir / "gunicorn.log"
    kill = Kill()
    attempts: list[Attempt] = []
    with gunicorn(env, args.workers, log) as base_url:
        started = threading.Event()
        killer = threading.Thread(
            target=kill_midway,
            args=(base_url, database_url, max(1, args.capacity // 3), started, kill),
            daemon=True,
        )
        killer.start()
        started.set()
        attempts = rush(base_url, session_id, args.clients, connect_early=True)
        killer.join(timeout=130)
        time.sleep(1.0)  # let the master notice and replace the dead worker
        _master, workers = gunicorn_workers(base_url)
    ledger_ok, ledger_output = check_ledger(env)
    with closing(connect(database_url)) as connection:
        figures = booking_figures(connection)
    counts, _statuses = classify(attempts)
    problems = []
    errors = Counter(a.error.split(":")[0] for a in attempts if a.error)
    problems += [f"{n} x client error {what!r}" for what, n in errors.most_common(3)]
    if counts["5xx"]:
        problems.append("gunicorn log (tail):\n" + tail(log, 30))
    return Result(
        label=label,
        clients=args.clients,
        capacity=args.capacity,
        counts=counts,
        kill=kill,
        figures=figures,
        ledger_ok=ledger_ok,
        ledger_output=ledger_output,
        workers_after=len(workers),
        problems=problems,
    )


def print_result(result: Result) -> None:
    """One database's block of figures and its verdict."""
    c, f, k = result.counts, result.figures, result.kill
    print(
        f"\n=== {result.label}: {result.clients} clients rush {result.capacity} seats, "
        f"one worker SIGKILLed midway ==="
    )
    if k.pid is None:
        print(f"kill: none ({k.note})")
    else:
        print(
            f"kill: worker {k.pid} (state {k.state}) after {k.after_seconds:.2f} s, "
            f"with {k.confirmed_before} bookings confirmed; workers afterwards: "
            f"{result.workers_after}"
        )
    print(
        f"clients: confirmed (303) {c['303']}   refused (409) {c['409']}   other 4xx {c['4xx']}   "
        f"5xx {c['5xx']}   no answer {c['no answer']}   form failed {c['form failed']}"
    )
    print(
        f"database: {f['bookings']} confirmed bookings = {f['seats']} seats; "
        f"seats_taken {f['seats_taken']} / capacity {f['capacity']}; "
        f"seats_waiting {f['seats_waiting']}"
    )
    lost_answers = f["bookings"] - c["303"]
    if lost_answers:
        print(
            f"  {lost_answers} booking(s) committed whose answer never reached the client "
            "(the worker died between the commit and the response)"
        )
    print(f"check-ledger: {'OK' if result.ledger_ok else 'FAILED'}: {result.ledger_output}")
    for problem in result.problems:
        print(f"  ! {problem}")
    verdict = "PASS" if result.passed else "FAIL"
    print(
        f"VERDICT {result.label}: {verdict} (counters == bookings: "
        f"{'yes' if f['seats_taken'] == f['seats'] else 'NO'}, no oversell: "
        f"{'yes' if f['seats'] <= f['capacity'] else 'NO'}, ledger "
        f"{'OK' if result.ledger_ok else 'FAILED'}, 5xx: {c['5xx']})"
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("-n", "--clients", type=int, default=300, help="concurrent bookings")
    parser.add_argument("-c", "--capacity", type=int, default=150, help="seats in the session")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--pg-server", default=DEFAULT_PG_SERVER, help="PostgreSQL server URL")
    parser.add_argument("--pg-db", default=DEFAULT_PG_DB, help="throwaway database (recreated)")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.capacity < 3 or args.workers < 2:
        parser.error("at least 1 client, 3 seats and 2 workers (one of them is killed)")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run on the chosen databases; 0 when every ledger holds."""
    return run_benches(run_one, print_result, parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
