"""Ticket rush: many people book the last seats of one session at the same instant.

What is measured, and why
-------------------------
The booking rule that matters most is "never sell a seat twice". Unit tests prove the
ledger logic; this script checks it end to end, through real HTTP, real gunicorn worker
processes and a real database, under the worst load the event expects: a popular session
opens and a crowd presses "Réserver" together.

For each database (SQLite, PostgreSQL) the script:

1. starts gunicorn (sync workers, 127.0.0.1, a free port) on a fresh database holding one
   session of capacity C;
2. lets N clients (one thread each) load the session page, parse the CSRF token and the
   form nonce and keep the session cookie; once all have their form, one thread sends
   the N POSTs of one seat each at once and reads the answers as they arrive. It counts
   confirmations (303), refusals (409), other 4xx, 5xx, POSTs left without an answer
   and clients whose form did not load, and the POST latency (p50, p99; a POST without
   an answer counts with the time its client waited, see ``client.send_together``). Exactly
   min(N, C) confirmations are expected: more is an oversell, fewer an undersell (people
   refused while seats were left);
3. runs ``flask check-ledger``: every seat counter must equal what its bookings add up to;
4. measures the live-count poll that every open programme page sends every few seconds:
   K clients send ``GET /live/seats`` with ``If-None-Match`` (the 304 path)
   for a few seconds, then the same for ``GET /bench/hello``, a route doing no work at
   all. The ratio poll/hello says how close the poll is to the cost of a bare request;
   the client threads share the machine's cores with gunicorn, so only the ratio is
   meaningful, not the absolute figures;
5. prints a one-line verdict against the targets: every form loaded, every POST answered,
   no oversell or undersell, a consistent ledger, no 4xx but the expected 409 refusals,
   no 5xx, p99 below 1000 ms, poll at least 50 % of hello.

The exit code is 0 when every target is met on every database run, 1 otherwise. Nothing
is asserted on timings inside the script: the figures are printed and compared once.

The rush and the poll use the standard library (``http.client``, and raw sockets with a
selector for the rush's POSTs), not ``requests``: the clients share the machine's cores
and the GIL with nothing else to do than wait, and every bit of CPU they use ends up in
the measured latency. ``requests`` only serves the health check and the API read.

Run from the repository root: ``.venv/bin/python bench/ticket_rush.py --help``.
"""

from __future__ import annotations

import argparse
import http.client
import math
import os
import re
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from client import classify, fetch, rush, seats_left, server_address
from harness import (
    DEFAULT_PG_SERVER,
    app_environment,
    check_ledger,
    gunicorn,
    prepare_database,
    run_benches,
    tail,
)

DEFAULT_PG_DB = "minerales_bench"
P99_TARGET_MS = 1000.0
POLL_RATIO_TARGET = 50.0


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile of ``values`` (``nan`` when empty)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


# ------------------------------------------------------------------------------- poll


@dataclass
class Throughput:
    """Requests answered during a timed hammering, and how many were not as expected."""

    requests: int
    unexpected: int
    errors: int
    seconds: float
    statuses: Counter[int] = field(default_factory=Counter)

    @property
    def per_second(self) -> float:
        """Requests per second over the run."""
        return self.requests / self.seconds if self.seconds > 0 else 0.0


def hammer(url: str, clients: int, seconds: float, *, conditional: bool) -> Throughput:
    """Send GETs to ``url`` from ``clients`` threads for ``seconds``.

    With ``conditional`` each client sends the ETag it last saw in ``If-None-Match`` and
    expects a 304, taking the new ETag whenever it gets a 200 (the minute rolled over, or
    a seat moved). Without it a plain 200 is expected.
    """
    address = server_address(url)
    path = urlsplit(url).path
    lock = threading.Lock()
    statuses: Counter[int] = Counter()
    errors = 0
    start_gate = threading.Barrier(clients + 1, timeout=120)
    stop = threading.Event()

    def worker() -> None:
        """One client looping until the deadline, one new connection per request."""
        nonlocal errors
        local: Counter[int] = Counter()
        local_errors = 0
        etag = ""
        if conditional:
            try:
                etag = fetch(address, "GET", path).headers.get("ETag", "")
            except (OSError, http.client.HTTPException):
                local_errors += 1
        start_gate.wait()
        while not stop.is_set():
            headers = {"If-None-Match": etag} if conditional and etag else {}
            try:
                reply = fetch(address, "GET", path, headers=headers)
            except (OSError, http.client.HTTPException):
                local_errors += 1
                continue
            local[reply.status] += 1
            if conditional and reply.status == 200:
                etag = reply.headers.get("ETag", etag)
        with lock:
            statuses.update(local)
            errors += local_errors

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    start_gate.wait()
    started = time.monotonic()
    stop.wait(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    expected = 304 if conditional else 200
    total = sum(statuses.values())
    return Throughput(
        requests=total,
        unexpected=total - statuses[expected],
        errors=errors,
        seconds=elapsed,
        statuses=statuses,
    )


# ------------------------------------------------------------------------------ report


@dataclass
class Result:
    """Everything one database run measured, and whether it met the targets."""

    label: str
    workers: int
    poll_clients: int
    capacity: int
    clients: int
    counts: Counter[str]
    post_statuses: Counter[int]
    p50_ms: float
    p99_ms: float
    seats_left: int | None
    ledger_ok: bool
    ledger_output: str
    poll: Throughput
    hello: Throughput
    problems: list[str]
    refusal_messages: Counter[str] = field(default_factory=Counter)

    @property
    def expected_confirmed(self) -> int:
        """How many bookings must succeed: every seat when the crowd exceeds them."""
        return min(self.clients, self.capacity)

    @property
    def exact_sale(self) -> bool:
        """No oversell and no undersell, as seen by the clients and by the API."""
        left_ok = self.seats_left is None or self.seats_left == self.capacity - self.counts["303"]
        return self.counts["303"] == self.expected_confirmed and left_ok

    @property
    def poll_ratio(self) -> float:
        """Poll throughput as a percentage of the bare route's."""
        return 100 * self.poll.per_second / self.hello.per_second if self.hello.per_second else 0.0

    def targets(self) -> list[tuple[str, bool]]:
        """Each target with whether it was met."""
        return [
            ("every form loaded", self.counts["form failed"] == 0),
            ("every POST answered", self.counts["no answer"] == 0),
            ("no oversell/undersell", self.exact_sale),
            ("ledger OK", self.ledger_ok),
            ("no other 4xx", self.counts["4xx"] == 0 and self.counts["other"] == 0),
            ("no 5xx", self.counts["5xx"] == 0),
            (f"p99 {self.p99_ms:.0f} ms < {P99_TARGET_MS:.0f}", self.p99_ms < P99_TARGET_MS),
            (
                f"poll {self.poll_ratio:.0f}% >= {POLL_RATIO_TARGET:.0f}% of hello",
                self.poll_ratio >= POLL_RATIO_TARGET,
            ),
        ]

    @property
    def passed(self) -> bool:
        """True when every target is met."""
        return all(ok for _, ok in self.targets())


def first_line_of_message(body: str) -> str:
    """Pull a readable hint out of an error page: its notices and field errors, or <title>."""
    notices = re.findall(r'class="(?:field__error|notice[^"]*)"[^>]*>\s*([^<]+?)\s*<', body)
    if notices:
        return " | ".join(n.strip() for n in notices)[:200]
    title = re.search(r"<title>([^<]*)</title>", body)
    return title.group(1).strip() if title else body[:120].replace("\n", " ")


def print_result(result: Result) -> None:
    """Print one database's block of figures and its verdict line."""
    c = result.counts
    print(
        f"\n=== {result.label}: {result.clients} clients rush {result.capacity} seats "
        f"({result.workers} gunicorn sync workers, {os.cpu_count()} CPUs) ==="
    )
    print(
        f"confirmed (303): {c['303']}   refused (409): {c['409']}   other 4xx: {c['4xx']}   "
        f"5xx: {c['5xx']} (of which 503: {c['503']})   no answer: {c['no answer']}   "
        f"form failed: {c['form failed']}" + (f"   other: {c['other']}" if c["other"] else "")
    )
    if result.refusal_messages:
        messages = "; ".join(f"{n} x {m!r}" for m, n in result.refusal_messages.most_common(3))
        print(f"409 message: {messages}")
    print(
        f"POST latency: p50 {result.p50_ms:.0f} ms   p99 {result.p99_ms:.0f} ms"
        + (" (POSTs without an answer count with the time waited)" if c["no answer"] else "")
    )
    left = "?" if result.seats_left is None else str(result.seats_left)
    verdict = "yes" if result.exact_sale else "NO"
    print(
        f"confirmed == expected ({result.expected_confirmed}): {verdict}   "
        f"seats left per API: {left}"
    )
    print(f"check-ledger: {'OK' if result.ledger_ok else 'FAILED'}: {result.ledger_output}")
    poll, hello = result.poll, result.hello
    print(
        f"live poll  GET /live/seats (If-None-Match): {poll.per_second:7.0f} req/s "
        f"({poll.requests} in {poll.seconds:.1f} s, non-304: {poll.unexpected}, "
        f"errors: {poll.errors})"
    )
    print(
        f"baseline   GET /bench/hello:                {hello.per_second:7.0f} req/s "
        f"({hello.requests} in {hello.seconds:.1f} s, non-200: {hello.unexpected}, "
        f"errors: {hello.errors})"
    )
    print(f"poll / hello: {result.poll_ratio:.0f}% ({result.poll_clients} client threads each)")
    for problem in result.problems:
        print(f"  ! {problem}")
    marks = ", ".join(f"{name} {'ok' if ok else 'FAIL'}" for name, ok in result.targets())
    print(f"VERDICT {result.label}: {'PASS' if result.passed else 'FAIL'} ({marks})")


# -------------------------------------------------------------------------------- run


def bench_one(label: str, database_url: str, args: argparse.Namespace, workdir: Path) -> Result:
    """Prepare the database, start gunicorn, run the rush and the poll, gather results."""
    env = app_environment(database_url)
    session_id = prepare_database(env, args.capacity)
    log = workdir / "gunicorn.log"
    with gunicorn(env, args.workers, log) as base_url:
        attempts = rush(base_url, session_id, args.clients, connect_early=args.connect_early)
        left = seats_left(base_url, session_id)
        poll = hammer(
            f"{base_url}/live/seats", args.poll_clients, args.poll_seconds, conditional=True
        )
        hello = hammer(
            f"{base_url}/bench/hello", args.poll_clients, args.poll_seconds, conditional=False
        )
    ledger_ok, ledger_output = check_ledger(env)

    counts, statuses = classify(attempts)
    latencies = [a.latency_ms for a in attempts if a.latency_ms is not None]
    problems = []
    refusals = Counter(
        first_line_of_message(a.body) for a in attempts if a.status == 409 and a.body
    )
    unexpected = Counter(
        f"{a.status}: {first_line_of_message(a.body)}"
        for a in attempts
        if a.body and a.status != 409
    )
    problems += [f"{n} x HTTP {what}" for what, n in unexpected.most_common(5)]
    errors = Counter(a.error for a in attempts if a.error)
    problems += [f"{n} x {what}" for what, n in errors.most_common(5)]
    if counts["5xx"] or counts["no answer"] or counts["form failed"]:
        problems.append("gunicorn log (tail):\n" + tail(log, 40))
    return Result(
        label=label,
        workers=args.workers,
        poll_clients=args.poll_clients,
        capacity=args.capacity,
        clients=args.clients,
        counts=counts,
        post_statuses=statuses,
        p50_ms=percentile(latencies, 50),
        p99_ms=percentile(latencies, 99),
        seats_left=left,
        ledger_ok=ledger_ok,
        ledger_output=ledger_output,
        poll=poll,
        hello=hello,
        problems=problems,
        refusal_messages=refusals,
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("-n", "--clients", type=int, default=300, help="concurrent bookings")
    parser.add_argument("-c", "--capacity", type=int, default=30, help="seats in the session")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--poll-seconds", type=float, default=5.0, help="length of each poll run")
    parser.add_argument("--poll-clients", type=int, default=8, help="threads hammering the poll")
    parser.add_argument(
        "--connect-early",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="open each POST's TCP connection before the start barrier (default: yes)",
    )
    parser.add_argument("--pg-server", default=DEFAULT_PG_SERVER, help="PostgreSQL server URL")
    parser.add_argument("--pg-db", default=DEFAULT_PG_DB, help="bench database (recreated)")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.capacity < 0 or args.workers < 1 or args.poll_clients < 1:
        parser.error("clients, workers and poll clients must be positive, capacity >= 0")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the bench on the chosen databases; 0 when every target is met."""
    return run_benches(bench_one, print_result, parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
