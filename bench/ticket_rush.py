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
   an answer counts with the time its client waited, see ``send_together``). Exactly
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
import io
import math
import os
import re
import secrets
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
BIN_DIR = VENV_BIN if VENV_BIN.is_dir() else Path(sys.executable).parent
HOST = "127.0.0.1"
DEFAULT_PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
DEFAULT_PG_DB = "minerales_bench"
P99_TARGET_MS = 1000.0
POLL_RATIO_TARGET = 50.0
HTTP_TIMEOUT = 60.0

# Run in a subprocess with the same environment as gunicorn: prints the new session's id.
SEED_SCRIPT = """
import sys
from datetime import timedelta
from app import create_app
from app.extensions import db
from app.models import Event, EventKind, EventSession, Venue
from app.timeutil import utcnow

capacity = int(sys.argv[1])
app = create_app()
with app.app_context():
    venue = Venue(name="Hub")
    event = Event(slug="rush", kind=EventKind.VISIT, title="Rush", venue=venue)
    start = utcnow() + timedelta(days=7)
    session = EventSession(
        event=event, starts_at=start, ends_at=start + timedelta(hours=1), capacity=capacity
    )
    db.session.add_all([venue, event, session])
    db.session.commit()
    print(session.id)
"""


class FormFields(HTMLParser):
    """Collect the ``name -> value`` pairs of every ``<input>`` of a page."""

    def __init__(self) -> None:
        """Start with no field seen."""
        super().__init__()
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Remember an input's value under its name."""
        if tag != "input":
            return
        attributes = dict(attrs)
        name = attributes.get("name")
        if name:
            self.values[name] = attributes.get("value") or ""


def parse_form(html: str) -> dict[str, str]:
    """Return the inputs of ``html`` by name (hidden fields included)."""
    parser = FormFields()
    parser.feed(html)
    parser.close()
    return parser.values


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile of ``values`` (``nan`` when empty)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def free_port() -> int:
    """Ask the kernel for a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def tail(path: Path, lines: int = 30) -> str:
    """Return the last ``lines`` lines of a text file (empty if it does not exist)."""
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


# ------------------------------------------------------------------------- light client


@dataclass
class Reply:
    """One HTTP response, read in full: status, headers and body."""

    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        """The body decoded with the charset the server declared (UTF-8 by default)."""
        return self.body.decode(self.headers.get_content_charset() or "utf-8", "replace")


def server_address(base_url: str) -> tuple[str, int]:
    """Split ``http://host:port`` into the host and port ``http.client`` wants."""
    parts = urlsplit(base_url)
    return parts.hostname or HOST, parts.port or 80


def fetch(
    address: tuple[str, int],
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    """Make one request on a new connection and return the whole reply, redirects not followed.

    gunicorn's sync workers close the connection after every response anyway, so each
    request gets its own connection.
    """
    conn = http.client.HTTPConnection(*address, timeout=HTTP_TIMEOUT)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return Reply(response.status, response.msg, response.read())
    finally:
        conn.close()


def cookie_header(reply: Reply) -> str:
    """The ``Cookie`` header a browser would send back after ``reply``'s ``Set-Cookie``s."""
    cookies = reply.headers.get_all("Set-Cookie") or []
    return "; ".join(cookie.split(";", 1)[0].strip() for cookie in cookies)


# --------------------------------------------------------------------------- databases


def check_bench_db_name(name: str) -> None:
    """Refuse to drop anything but a dedicated bench database."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name) or "bench" not in name:
        raise SystemExit(f"refusing PostgreSQL database {name!r}: its name must contain 'bench'")


def pg_admin(server_url: str, statements: list[str]) -> None:
    """Run maintenance statements (autocommit) from the ``postgres`` database."""
    import psycopg

    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def recreate_pg_database(server_url: str, name: str) -> None:
    """Drop and create the bench database, so every run starts empty."""
    check_bench_db_name(name)
    pg_admin(
        server_url,
        [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'],
    )


def drop_pg_database(server_url: str, name: str) -> None:
    """Drop the bench database (and any connection still open to it)."""
    check_bench_db_name(name)
    pg_admin(server_url, [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'])


# ------------------------------------------------------------------------------ server


def app_environment(database_url: str) -> dict[str, str]:
    """The environment shared by gunicorn and the ``flask`` commands of one run."""
    env = dict(os.environ)
    env.pop("REDIS_URL", None)
    env.update(
        {
            "APP_ENV": "development",
            "DATABASE_URL": database_url,
            "SECRET_KEY": secrets.token_hex(32),
            "RATELIMIT_ENABLED": "false",
            "BENCH_ROUTES": "true",
            "HTMX_SOURCE": "local",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def run_tool(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run a command from the repository root and capture its output."""
    return subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def prepare_database(env: dict[str, str], capacity: int) -> int:
    """Apply the migrations and create the session; return its id."""
    upgrade = run_tool([str(BIN_DIR / "flask"), "--app", "wsgi", "db", "upgrade"], env)
    if upgrade.returncode != 0:
        raise RuntimeError(f"db upgrade failed:\n{upgrade.stdout}{upgrade.stderr}")
    seed = run_tool([str(BIN_DIR / "python"), "-c", SEED_SCRIPT, str(capacity)], env)
    if seed.returncode != 0:
        raise RuntimeError(f"creating the session failed:\n{seed.stdout}{seed.stderr}")
    return int(seed.stdout.strip().splitlines()[-1])


def check_ledger(env: dict[str, str]) -> tuple[bool, str]:
    """Run ``flask check-ledger``; return (exit code was 0, its output)."""
    result = run_tool([str(BIN_DIR / "flask"), "--app", "wsgi", "check-ledger"], env)
    output = (result.stdout + result.stderr).strip()
    return result.returncode == 0, output


def stop_process_group(process: subprocess.Popen[bytes]) -> None:
    """Terminate a process group politely, then kill it if it lingers."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        process.wait(timeout=10)


def wait_healthy(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Wait until ``/healthz`` answers 200, or fail if gunicorn dies or takes too long."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{tail(log)}")
        try:
            if requests.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not become healthy within 60 s:\n{tail(log)}")


@contextmanager
def gunicorn(env: dict[str, str], workers: int, log: Path) -> Iterator[str]:
    """Run gunicorn for the duration of the block; yield its base URL."""
    port = free_port()
    args = [
        str(BIN_DIR / "gunicorn"),
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--bind",
        f"{HOST}:{port}",
        "--log-level",
        "warning",
        "--graceful-timeout",
        "5",
        "wsgi:app",
    ]
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            base_url = f"http://{HOST}:{port}"
            wait_healthy(base_url, process, log)
            yield base_url
        finally:
            stop_process_group(process)


# ------------------------------------------------------------------------------- rush


@dataclass
class Attempt:
    """What one client got: its form (or not), the POST's status (None if none) and latency."""

    form_loaded: bool = False
    status: int | None = None
    latency_ms: float | None = None
    error: str = ""
    body: str = ""


def booking_request(address: tuple[str, int], session_id: int, index: int) -> bytes:
    """Load the session page as visitor ``index`` would; return the booking POST, ready to send.

    The form's CSRF token and nonce, and the session cookie that goes with them, come
    from the page. Raises ``OSError``, ``HTTPException``, ``KeyError`` or ``ValueError``.
    """
    path = f"/sessions/{session_id}"
    page = fetch(address, "GET", path)
    if page.status != 200:
        raise ValueError(f"GET {path} answered {page.status}")
    fields = parse_form(page.text)
    body = urlencode(
        {
            "csrf_token": fields["csrf_token"],
            "nonce": fields["nonce"],
            "name": f"Visiteur {index}",
            "email": f"visiteur{index}@mines-ales.fr",
            "seats": "1",
        }
    ).encode()
    head = (
        f"POST {path} HTTP/1.1\r\n"
        f"Host: {address[0]}:{address[1]}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"Cookie: {cookie_header(page)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode("latin-1") + body


def parse_reply(raw: bytes) -> Reply:
    """Read a whole HTTP/1.1 response (the server closed the connection after it)."""
    head, separator, body = raw.partition(b"\r\n\r\n")
    status_line, _, header_lines = head.partition(b"\r\n")
    parts = status_line.split(None, 2)
    if not separator or len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
        raise http.client.BadStatusLine(status_line.decode("latin-1", "replace") or "(nothing)")
    headers = http.client.parse_headers(io.BytesIO(header_lines + b"\r\n\r\n"))
    return Reply(int(parts[1]), headers, body)


def record(attempt: Attempt, reply: Reply) -> None:
    """Keep what a POST answered, and flag a confirmation that points elsewhere."""
    attempt.status = reply.status
    location = reply.headers.get("Location", "")
    if reply.status == 303 and "/b/" not in location:
        attempt.error = f"303 to unexpected {location!r}"
    if reply.status >= 400:
        attempt.body = reply.text[:20000]


@dataclass
class InFlight:
    """A POST sent and not yet fully answered."""

    attempt: Attempt
    started: float
    received: bytearray = field(default_factory=bytearray)


def send_together(
    address: tuple[str, int], posts: list[tuple[Attempt, bytes]], *, connect_early: bool
) -> None:
    """Send every POST at once from one thread, then read the answers as they arrive.

    One thread and a selector, not a thread per client: the clients share the machine's
    two cores with gunicorn and the database, and 300 threads waking together, each
    taking the GIL to send and again to read, cost the server CPU time and added their
    own queueing to the latencies measured. A latency runs from just before a request's
    first byte is sent (its TCP connect too, without ``connect_early``) to the end of its
    answer, so it includes the wait in gunicorn's accept queue and behind the database
    lock. With ``connect_early`` every connection is opened first: gunicorn's kernel
    backlog accepts them while the sync workers are idle.

    A POST that got no answer still gets a latency, so that it weighs on the p99 instead of
    dropping out of it: the time its client waited before the connection broke, or the
    whole timeout when nothing came back or the connection could not even be opened.
    """
    sockets: list[socket.socket | None] = []
    for attempt, _request in posts:
        sock = None
        if connect_early:
            try:
                sock = socket.create_connection(address, timeout=HTTP_TIMEOUT)
            except OSError as error:
                gave_up(attempt, f"connect: {error!r}", HTTP_TIMEOUT)
        sockets.append(sock)
    selector = selectors.DefaultSelector()
    for (attempt, request), sock in zip(posts, sockets, strict=True):
        if attempt.error:
            continue
        started = time.perf_counter()
        try:
            if sock is None:
                try:
                    sock = socket.create_connection(address, timeout=HTTP_TIMEOUT)
                except OSError as error:
                    gave_up(attempt, f"connect: {error!r}", HTTP_TIMEOUT)
                    continue
            sock.sendall(request)
        except OSError as error:
            gave_up(attempt, f"post: {error!r}", time.perf_counter() - started)
            sock.close()
            continue
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ, InFlight(attempt, started))
    deadline = time.monotonic() + HTTP_TIMEOUT
    while selector.get_map():
        ready = selector.select(timeout=max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        for key, _events in ready:
            flight: InFlight = key.data
            sock = key.fileobj
            failure = ""
            try:
                chunk = sock.recv(65536)
            except BlockingIOError:
                continue
            except OSError as error:
                failure, chunk = f"post: {error!r}", b""
            if chunk:
                flight.received += chunk
                continue
            waited = time.perf_counter() - flight.started
            selector.unregister(sock)
            sock.close()
            if failure:
                gave_up(flight.attempt, failure, waited)
                continue
            try:
                reply = parse_reply(bytes(flight.received))
            except http.client.HTTPException as error:
                gave_up(flight.attempt, f"post: {error!r}", waited)
                continue
            flight.attempt.latency_ms = waited * 1000
            record(flight.attempt, reply)
    for key in list(selector.get_map().values()):
        waited = time.perf_counter() - key.data.started
        gave_up(key.data.attempt, f"post: no answer within {HTTP_TIMEOUT:.0f} s", waited)
        key.fileobj.close()
    selector.close()


def gave_up(attempt: Attempt, error: str, waited_seconds: float) -> None:
    """A POST left without an answer: why, and how long its client waited for one."""
    attempt.error = error
    attempt.latency_ms = waited_seconds * 1000


def ticket_rush(
    base_url: str, session_id: int, clients: int, *, connect_early: bool
) -> list[Attempt]:
    """Fire ``clients`` simultaneous bookings of one seat; return every attempt.

    Every client first loads its form (one thread each, untimed); once all of them have
    it, the POSTs leave together (``send_together``).
    """
    address = server_address(base_url)
    attempts = [Attempt() for _ in range(clients)]
    requests_to_send: list[bytes | None] = [None] * clients

    def load_form(index: int) -> None:
        """One visitor opening the session page."""
        try:
            requests_to_send[index] = booking_request(address, session_id, index)
        except (OSError, http.client.HTTPException, KeyError, ValueError) as error:
            attempts[index].error = f"form: {error!r}"
        else:
            attempts[index].form_loaded = True

    threads = [threading.Thread(target=load_form, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    posts = [
        (attempt, request)
        for attempt, request in zip(attempts, requests_to_send, strict=True)
        if request is not None
    ]
    send_together(address, posts, connect_early=connect_early)
    return attempts


def seats_left(base_url: str, session_id: int) -> int | None:
    """Read the session's remaining seats through the JSON API (None if unavailable)."""
    try:
        response = requests.get(f"{base_url}/api/sessions/{session_id}", timeout=HTTP_TIMEOUT)
        return int(response.json()["seats_left"]) if response.status_code == 200 else None
    except (requests.RequestException, ValueError, KeyError):
        return None


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


def classify(attempts: list[Attempt]) -> tuple[Counter[str], Counter[int]]:
    """Count the attempts by outcome class and by exact status.

    A client whose form did not load never sent its POST ("form failed"); one that sent it
    and got nothing back, or nothing readable, is "no answer". "4xx" is every 4xx but the
    409 refusal, "other" any status that is neither a 303, a 4xx nor a 5xx.
    """
    counts: Counter[str] = Counter(
        {"303": 0, "409": 0, "4xx": 0, "5xx": 0, "503": 0, "no answer": 0, "form failed": 0}
    )
    statuses: Counter[int] = Counter()
    for attempt in attempts:
        if attempt.status is None:
            counts["no answer" if attempt.form_loaded else "form failed"] += 1
            continue
        statuses[attempt.status] += 1
        if attempt.status in (303, 409):
            counts[str(attempt.status)] += 1
        elif 400 <= attempt.status < 500:
            counts["4xx"] += 1
        elif attempt.status >= 500:
            counts["5xx"] += 1
            if attempt.status == 503:
                counts["503"] += 1
        else:
            counts["other"] += 1
    return counts, statuses


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
        attempts = ticket_rush(base_url, session_id, args.clients, connect_early=args.connect_early)
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


def run_on(label: str, bench: Callable[..., Any], args: argparse.Namespace) -> Any:
    """Run ``bench(label, database_url, args, workdir)`` on a fresh database of kind ``label``.

    SQLite: a file in a temporary directory. PostgreSQL: ``args.pg_db``, dropped and created
    again, and dropped afterwards even when the run fails (a failure to drop is reported
    without hiding the run's own exception).
    """
    workdir = Path(tempfile.mkdtemp(prefix=f"bench_{label}_"))
    try:
        if label == "sqlite":
            return bench(label, f"sqlite:///{workdir / 'bench.sqlite3'}", args, workdir)
        recreate_pg_database(args.pg_server, args.pg_db)
        try:
            return bench(label, f"{args.pg_server}/{args.pg_db}", args, workdir)
        finally:
            try:
                drop_pg_database(args.pg_server, args.pg_db)
            except Exception as error:
                print(f"warning: could not drop {args.pg_db}: {error}", file=sys.stderr)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run_benches(
    bench: Callable[..., Any], report: Callable[[Any], None], args: argparse.Namespace
) -> int:
    """Run ``bench`` on the chosen databases, print each result; 0 when all passed."""
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    labels = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    results = []
    for label in labels:
        result = run_on(label, bench, args)
        report(result)
        results.append(result)
    if len(results) > 1:
        print("\n" + "  ".join(f"{r.label}: {'PASS' if r.passed else 'FAIL'}" for r in results))
    return 0 if all(r.passed for r in results) else 1


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


def exit_on_sigterm(signum: int, _frame: object) -> None:
    """Turn SIGTERM into ``SystemExit``, so gunicorn is stopped and the database dropped."""
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    """Run the bench on the chosen databases; 0 when every target is met."""
    return run_benches(bench_one, print_result, parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
