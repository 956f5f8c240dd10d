"""The day booking opens: 1000 open programme pages polling, and a rush on one session.

Through nginx (the repository's site file) in front of two gunicorn instances on one
PostgreSQL database and one Redis, with the rate limits on and every simulated visitor at
an address of its own (a 127.x.y.z source address, which nginx passes on in
X-Forwarded-For and the app trusts as one proxy's):

1. a bare ``GET /bench/hello`` at the pollers' rate, for the CPU-per-request base;
2. ``--pollers`` pages (default 1000) each asking ``GET /live/seats`` with ``If-None-Match``
   every ``--interval`` seconds (default 4), for ``--duration`` seconds;
3. meanwhile, ``--rush`` visitors (default 300) load the session's page, then all post a
   one-seat booking at once to a session of ``--capacity`` seats (default 30).

It prints p50/p95/p99 of the polls (during the rush, and overall), of the bookings, of
hello; the status counts; errors; the CPU seconds by process of the form loads and of the
bookings, the clients' per request, the servers' per booking and the shortest the rush
could last on this machine's cores for that CPU; the CPU seconds of gunicorn and nginx per
request; and whether the sale was exact and the ledger is right.

The clients run on the same machine as the servers: the pollers in a process of their own,
hello and the rush in this one, each one asyncio loop driving non-blocking sockets. Every
request has a connection of its own (``Connection: close``); its latency runs from just
before the connection is opened to the end of the answer.

    .venv/bin/python bench/load.py
    .venv/bin/python bench/load.py --pollers 500 --rush 100 --duration 20
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import resource
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from client import form_values, header_value, split_reply
from harness import (
    BIN_DIR,
    DEFAULT_PG_SERVER,
    HOST,
    ROOT,
    app_environment,
    check_ledger,
    free_port,
    prepare_database,
    run_on,
    stop_process_group,
)
from nginx_stack import nginx_stack

REDIS_URL = "redis://127.0.0.1:6379/0"
TIMEOUT = 60.0

# ------------------------------------------------------------------------------ client


class Addresses:
    """Distinct loopback source addresses, one per simulated visitor."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def new(self) -> str:
        while True:
            address = (
                f"127.{random.randint(1, 254)}.{random.randint(0, 255)}.{random.randint(1, 254)}"
            )
            if address not in self.used:
                self.used.add(address)
                return address


@dataclass
class Answer:
    """One request's outcome."""

    status: int | None
    latency_ms: float
    head: bytes = b""  # the header lines, read by ``header``
    body: bytes = b""
    error: str = ""

    def header(self, name: str) -> str:
        """The value of header ``name`` (the last one if repeated), "" when absent."""
        return header_value(self.head, name)


class Exchange:
    """One request on a connection of its own, driven by the loop's reader and writer callbacks.

    A non-blocking socket watched by the event loop, not asyncio's streams nor even a
    transport: the client runs on the cores the servers being measured use, and a
    StreamReader, its writer, ``drain`` and a ``wait_for`` around each step cost it several
    times the CPU of the socket calls themselves. The server closes the connection after
    its answer (``Connection: close``), so the answer ends at the end of the stream.
    """

    __slots__ = ("chunks", "done", "ended", "fd", "loop", "raw", "sock", "timer", "watching")

    def __init__(self, loop: asyncio.AbstractEventLoop, sock: socket.socket, raw: bytes) -> None:
        self.loop = loop
        self.sock = sock
        # The loop is given the number: for a socket object, asyncio formats its repr in the
        # KeyError it raises and catches each time the socket is first watched.
        self.fd = sock.fileno()
        self.raw = raw  # what is left to send
        self.chunks: list[bytes] = []
        self.done: asyncio.Future[OSError | None] = loop.create_future()
        self.ended = 0.0  # perf_counter() when the answer ended or the connection broke
        self.timer = loop.call_later(TIMEOUT, self.finish, TimeoutError("no answer in time"))
        self.watching = ""  # "write" or "read": the callback the loop holds for the socket

    def connect(self, address: tuple[str, int]) -> None:
        try:
            self.sock.connect(address)
        except BlockingIOError:
            pass  # in progress: the socket turns writable once connected, or once refused
        except OSError as error:
            self.finish(error)
            return
        self.watching = "write"
        self.loop.add_writer(self.fd, self.writable)

    def writable(self) -> None:
        code = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if code:
            self.finish(OSError(code, os.strerror(code)))
            return
        try:
            sent = self.sock.send(self.raw)
        except BlockingIOError:
            return
        except OSError as error:
            self.finish(error)
            return
        self.raw = self.raw[sent:]
        if not self.raw:
            self.loop.remove_writer(self.fd)
            self.watching = "read"
            self.loop.add_reader(self.fd, self.readable)

    def readable(self) -> None:
        while True:  # to the end of what has arrived: the answer and its close come together
            try:
                chunk = self.sock.recv(65536)
            except BlockingIOError:
                return
            except OSError as error:
                self.finish(error)
                return
            if not chunk:
                self.finish(None)
                return
            self.chunks.append(chunk)

    def finish(self, error: OSError | None) -> None:
        """The answer is whole (``error`` None), or the request failed: close, wake the caller."""
        if self.done.done():
            return
        self.ended = time.perf_counter()
        self.timer.cancel()
        if self.watching == "write":
            self.loop.remove_writer(self.fd)
        elif self.watching == "read":
            self.loop.remove_reader(self.fd)
        self.sock.close()
        self.done.set_result(error)


async def request(
    port: int,
    source: str,
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
) -> Answer:
    """One HTTP/1.1 request on a new connection from ``source``; the whole answer.

    The latency runs from just before the connection is opened to the end of the answer,
    stamped by the callback that reads it, not when this coroutine runs again, so that the
    loop's lag in waking it stays out.
    """
    lines = [f"{method} {path} HTTP/1.1", "Host: localhost", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if body:
        lines += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
    loop = asyncio.get_running_loop()
    started = time.perf_counter()
    try:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    except OSError as error:
        return Answer(None, (time.perf_counter() - started) * 1000, error=repr(error)[:200])
    exchange = Exchange(loop, sock, raw)
    try:
        sock.setblocking(False)
        sock.bind((source, 0))
        exchange.connect((HOST, port))
        failure = await exchange.done
        if failure is not None:
            raise failure
        status, head, answer_body = split_reply(b"".join(exchange.chunks))
    except Exception as error:
        exchange.finish(None)
        return Answer(None, (exchange.ended - started) * 1000, error=repr(error)[:200])
    finally:
        exchange.finish(None)  # only if still open: cancelled while waiting
    return Answer(status, (exchange.ended - started) * 1000, head, answer_body)


def session_cookie(answer: Answer) -> str:
    """The cookie a browser sends back (the page sets one session cookie)."""
    cookie = answer.header("set-cookie")
    return cookie.split(";", 1)[0]


# ------------------------------------------------------------------------------- phases


@dataclass
class Timed:
    """Latencies and statuses of one kind of request, with when each was sent."""

    sent_at: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)

    def add(self, at: float, answer: Answer) -> None:
        self.sent_at.append(at)
        self.latencies.append(answer.latency_ms)
        self.statuses[answer.status if answer.status is not None else "no answer"] += 1
        if answer.error:
            self.errors[answer.error.split("(")[0]] += 1

    def between(self, start: float, end: float) -> list[float]:
        return [
            lat for at, lat in zip(self.sent_at, self.latencies, strict=True) if start <= at <= end
        ]


async def poller(port: int, source: str, interval: float, stop_at: float, polls: Timed) -> None:
    """One open programme page: the first read, then a conditional poll every ``interval``."""
    await asyncio.sleep(random.uniform(0, interval))
    etag = ""
    while time.monotonic() < stop_at:
        at = time.monotonic()
        answer = await request(
            port, source, "GET", "/live/seats", {"If-None-Match": etag} if etag else None
        )
        polls.add(at, answer)
        etag = answer.header("etag") or etag
        await asyncio.sleep(max(0.0, interval - (time.monotonic() - at)))


async def steady(port: int, path: str, rate: float, seconds: float, addresses: Addresses) -> Timed:
    """``rate`` requests a second to ``path`` for ``seconds``, each from a new address."""
    timed = Timed()
    tasks = []
    started = time.monotonic()
    count = int(rate * seconds)

    async def one(at: float) -> None:
        timed.add(at, await request(port, addresses.new(), "GET", path))

    for index in range(count):
        delay = started + index / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(time.monotonic())))
    await asyncio.gather(*tasks)
    return timed


@dataclass
class Rush:
    """What the rush did."""

    forms: Timed = field(default_factory=Timed)
    posts: Timed = field(default_factory=Timed)
    forms_started: float = 0.0
    started: float = 0.0
    ended: float = 0.0
    # CPU seconds by process kind when the forms start loading, when the POSTs start, at the end.
    cpu: list[Counter] = field(default_factory=list)


async def rush(
    port: int, session_id: int, clients: int, addresses: Addresses, snapshot: Callable[[], Counter]
) -> Rush:
    """Every visitor loads the form, then all post their booking together."""
    result = Rush()
    sources = [addresses.new() for _ in range(clients)]
    path = f"/sessions/{session_id}"

    async def load(source: str, index: int) -> tuple[bytes, str] | None:
        at = time.monotonic()
        page = await request(port, source, "GET", path)
        result.forms.add(at, page)
        if page.status != 200:
            return None
        fields = form_values(page.body)
        body = urlencode(
            {
                "csrf_token": fields.get("csrf_token", ""),
                "nonce": fields.get("nonce", ""),
                "name": f"Visiteur {index}",
                "email": f"visiteur{index}@mines-ales.fr",
                "seats": "1",
            }
        ).encode()
        return body, session_cookie(page)

    async def post(source: str, body: bytes, cookie: str) -> None:
        at = time.monotonic()
        result.posts.add(at, await request(port, source, "POST", path, {"Cookie": cookie}, body))

    result.cpu.append(snapshot())
    result.forms_started = time.monotonic()
    loaded = await asyncio.gather(*(load(source, i) for i, source in enumerate(sources)))
    result.cpu.append(snapshot())
    result.started = time.monotonic()
    await asyncio.gather(
        *(
            post(source, *prepared)
            for source, prepared in zip(sources, loaded, strict=True)
            if prepared
        )
    )
    result.ended = time.monotonic()
    result.cpu.append(snapshot())
    return result


# ------------------------------------------------------------------------------- figures


def group_cpu_seconds(groups: list[int]) -> float:
    """CPU seconds used so far by every live process of these process groups."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) in groups:  # field 5 of stat: the process group
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


# What the servers of a run are called in ``cpu_by_kind`` (the mail sender is ``flask``).
SERVERS = ("gunicorn", "nginx", "postgres", "redis-server", "flask")


def cpu_by_kind(clients: dict[int, str], groups: list[int], database: str) -> Counter:
    """CPU seconds used so far by every live process, summed by what it is.

    ``clients`` names the bench's own processes (pid -> name). The servers are named after
    their command: gunicorn, nginx and the mail sender when in ``groups``, PostgreSQL's
    processes but those serving another database than ``database``, Redis. The same
    commands run by someone else on the machine get "(other)"; kernel threads are
    "kernel"; the rest go by command.
    """
    ticks = os.sysconf("SC_CLK_TCK")
    used: Counter = Counter()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                head, _, tail = handle.read().rpartition(")")
            fields = tail.split()
            name = clients.get(int(entry)) or head.split("(", 1)[1]
            if name in ("gunicorn", "nginx", "flask") and int(fields[2]) not in groups:
                name += " (other)"  # field 5 of stat: the process group
            elif name == "postgres" and not ours_in_postgres(entry, database):
                name += " (other)"
            elif int(fields[1]) == 2:
                name = "kernel"  # a child of kthreadd: kworker, ksoftirqd...
        except (OSError, IndexError, ValueError):
            continue
        used[name] += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    # The SMTP stand-in (--smtp-delay-ms) runs in threads of this process: not the client.
    smtp = threads_cpu_seconds(os.getpid()) / ticks
    if smtp:
        used[clients.get(os.getpid(), "client")] -= smtp
        used["smtp stand-in"] += smtp
    return used


def threads_cpu_seconds(pid: int) -> int:
    """CPU ticks used so far by the live threads of process ``pid`` but its main one."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        if task == str(pid):
            continue
        try:
            with open(f"/proc/{pid}/task/{task}/stat") as handle:
                fields = handle.read().rpartition(")")[2].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total


def ours_in_postgres(pid: str, database: str) -> bool:
    """Whether PostgreSQL process ``pid`` works for ``database``: its backends, or the
    server's own processes (postmaster, WAL writer, checkpointer...), which do work for
    every database's commits."""
    with open(f"/proc/{pid}/cmdline", "rb") as handle:
        title = handle.read().replace(b"\0", b" ").decode("utf-8", "replace")
    is_backend = "(" in title or "[local]" in title  # a client's address
    return not is_backend or f" {database} " in title


def cpu_spent(before: Counter, after: Counter) -> Counter:
    """CPU seconds each kind of process used between two snapshots (none negative)."""
    return Counter({name: max(0.0, after[name] - before.get(name, 0.0)) for name in after})


def cpu_shares(spent: Counter, top: int = 7) -> str:
    """The kinds of process that used the most CPU, in seconds."""
    parts = [f"{name} {seconds:.2f}" for name, seconds in spent.most_common(top) if seconds > 0]
    return f"{sum(spent.values()):.2f} s: " + ", ".join(parts)


def client_cpu(spent: Counter, rush_requests: int, polls: int) -> str:
    """The clients' CPU per request in one phase: the rush's, the pollers', both together."""
    rushing, polling = spent["rush client"], spent["poll client"]
    both = (rushing + polling) / max(1, rush_requests + polls) * 1000
    return (
        f"rush client {rushing / max(1, rush_requests) * 1000:.2f} ms/req ({rush_requests}), "
        f"poll client {polling / max(1, polls) * 1000:.2f} ms/req ({polls}), "
        f"both {both:.2f} ms/req"
    )


def wait_until_settled(groups: list[int], limit: float = 120.0) -> float:
    """Wait until the servers' workers have all started; return the seconds waited.

    An instance answers its health check as soon as its first worker is ready, while the
    others still import the app and compile its templates (seconds of CPU each): measured
    then, the base and the rush would count the start of the servers, which on the day is
    long over when booking opens. Settled is a quarter of a second with under 5 % of one
    core used.
    """
    started = time.monotonic()
    before = group_cpu_seconds(groups)
    while time.monotonic() - started < limit:
        time.sleep(0.25)
        now = group_cpu_seconds(groups)
        if now - before < 0.0125:
            break
        before = now
    return time.monotonic() - started


def percentiles(values: list[float]) -> str:
    """p50 / p95 / p99 in milliseconds."""
    if len(values) < 2:
        return "n/a"
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return f"p50 {cuts[49]:7.1f}  p95 {cuts[94]:7.1f}  p99 {cuts[98]:7.1f} ms"


def p(values: list[float], which: int) -> float:
    """One percentile (ms), 0 with too few values."""
    if len(values) < 2:
        return 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[which - 1]


def statuses(timed: Timed) -> str:
    return ", ".join(
        f"{status}: {count}" for status, count in sorted(timed.statuses.items(), key=str)
    )


# ---------------------------------------------------------------------------------- run


def poll_process(
    connection: Connection, port: int, sources: list[str], interval: float, duration: float
) -> None:
    """The pollers' own process: once told to start, poll for ``duration`` s, send the polls.

    A process apart from the rush's client, as the pages are in browsers apart from the
    rushing visitors': in one event loop, every poll's callbacks ran between the rush's
    and the loop's lag went into the bookings' latencies; two processes also use the
    machine's two cores as separate browsers would.
    """
    connection.send("ready")
    connection.recv()
    polls = Timed()
    stop_at = time.monotonic() + duration

    async def poll_all() -> None:
        await asyncio.gather(
            *(poller(port, source, interval, stop_at, polls) for source in sources)
        )

    asyncio.run(poll_all())
    connection.send(polls)
    connection.close()


async def measure(
    args: argparse.Namespace, port: int, session_id: int, groups: list[int], database: str
) -> dict:
    """The hello base, then the pollers with the rush in the middle."""
    addresses = Addresses()
    rate = args.pollers / args.interval
    # Started first (a spawned interpreter takes a second to import this file), waiting.
    context = multiprocessing.get_context("spawn")
    connection, its_end = context.Pipe()
    poll_client = context.Process(
        target=poll_process,
        args=(
            its_end,
            port,
            [addresses.new() for _ in range(args.pollers)],
            args.interval,
            args.duration,
        ),
        daemon=True,
    )
    poll_client.start()
    its_end.close()
    if connection.recv() != "ready":
        raise RuntimeError("the pollers' process did not start")
    clients = {os.getpid(): "rush client", poll_client.pid or 0: "poll client"}

    load_before = " ".join(f"{value:.1f}" for value in os.getloadavg())
    cpu_before = group_cpu_seconds(groups)
    hello = await steady(port, "/bench/hello", rate, args.hello_seconds, addresses)
    hello_cpu = group_cpu_seconds(groups) - cpu_before

    cpu_before = group_cpu_seconds(groups)
    connection.send("start")
    await asyncio.sleep(args.rush_after)
    rushed = await rush(
        port,
        session_id,
        args.rush,
        addresses,
        lambda: cpu_by_kind(clients, groups, database),
    )
    # Nothing else runs in this loop now: waiting for the pollers may block it.
    polls: Timed = connection.recv()
    poll_client.join()
    load_cpu = group_cpu_seconds(groups) - cpu_before
    return {
        "hello": hello,
        "hello_cpu": hello_cpu,
        "polls": polls,
        "rush": rushed,
        "load_cpu": load_cpu,
        "load_before": load_before,
    }


class SlowSmtp:
    """An SMTP server that takes ``delay`` seconds per message, like a distant relay."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.received = 0

    async def handle_DATA(self, server, session, envelope) -> str:
        await asyncio.sleep(self.delay)
        self.received += 1
        return "250 Message accepted"


@contextmanager
def smtp_server(delay_ms: float) -> Iterator[tuple[int, SlowSmtp | None]]:
    """A slow SMTP server on a free port, or port 1 (refused at once) for ``delay_ms`` < 0."""
    if delay_ms < 0:
        yield 1, None
        return
    from aiosmtpd.controller import Controller

    handler = SlowSmtp(delay_ms / 1000)
    port = free_port()
    controller = Controller(handler, hostname=HOST, port=port)
    controller.start()
    try:
        yield port, handler
    finally:
        controller.stop()


def bench(label: str, database_url: str, args: argparse.Namespace, workdir: Path) -> bool:
    env = app_environment(database_url)
    env.update(
        {
            "REDIS_URL": REDIS_URL,
            "RATELIMIT_ENABLED": "true",
            "PROXY_FIX_X_FOR": "1",
            "PROXY_FIX_X_PROTO": "1",
            "MAIL_SERVER": HOST,
            # With a mail sender of its own, web workers leave the outbox to it.
            "MAIL_SEND_AFTER_COMMIT": "false" if args.mailer else "true",
        }
    )
    session_id = prepare_database(env, args.capacity)
    with ExitStack() as stack:
        port, smtp = stack.enter_context(smtp_server(args.smtp_delay_ms))
        env["MAIL_PORT"] = str(port)
        running = stack.enter_context(
            nginx_stack(
                env, workdir / "stack", instances=2, workers=args.workers, connections=16384
            )
        )
        groups = list(running.groups)
        if args.mailer:
            sender = subprocess.Popen(
                [str(BIN_DIR / "flask"), "--app", "wsgi", "send-mail", "--every", "1"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                start_new_session=True,
            )
            stack.callback(stop_process_group, sender)
            groups.append(sender.pid)
        settled = wait_until_settled(groups)
        database = urlsplit(database_url).path.lstrip("/")
        figures = asyncio.run(measure(args, running.port, session_id, groups, database))
        figures["settled"] = settled
        if smtp is not None:
            deadline = time.monotonic() + 30
            while smtp.received < min(args.rush, args.capacity) and time.monotonic() < deadline:
                time.sleep(0.2)
            figures["mail"] = smtp.received
    ok, ledger = check_ledger(env)
    return report(args, figures, ok, ledger)


def report(args: argparse.Namespace, figures: dict, ledger_ok: bool, ledger: str) -> bool:
    hello, polls, rushed = figures["hello"], figures["polls"], figures["rush"]
    during = polls.between(rushed.started, rushed.ended)
    requests_in_load = (
        len(polls.latencies) + len(rushed.forms.latencies) + len(rushed.posts.latencies)
    )
    hello_cpu_ms = figures["hello_cpu"] / max(1, len(hello.latencies)) * 1000
    load_cpu_ms = figures["load_cpu"] / max(1, requests_in_load) * 1000
    booked = rushed.posts.statuses.get(303, 0)
    exact = booked == min(args.rush, args.capacity)
    five_xx = sum(
        c
        for s, c in [
            *polls.statuses.items(),
            *rushed.posts.statuses.items(),
            *rushed.forms.statuses.items(),
        ]
        if isinstance(s, int) and s >= 500
    )
    no_answer = (
        polls.statuses.get("no answer", 0)
        + rushed.posts.statuses.get("no answer", 0)
        + rushed.forms.statuses.get("no answer", 0)
    )
    print(
        f"\n== bench/load.py: {args.pollers} pages polling every {args.interval:g} s, a {args.rush}-client "
        f"rush on {args.capacity} seats; nginx + 2 instances x {args.workers} sync workers, "
        "PostgreSQL, Redis, rate limits on"
    )
    print(f"machine        load average before the run: {figures['load_before']}")
    print(
        f"servers        every worker started {figures.get('settled', 0):.1f} s after the health checks"
    )
    print(
        f"hello          {len(hello.latencies):6d} req  {percentiles(hello.latencies)}  [{statuses(hello)}]"
    )
    print(
        f"polls, all     {len(polls.latencies):6d} req  {percentiles(polls.latencies)}  [{statuses(polls)}]"
    )
    print(f"polls, rush    {len(during):6d} req  {percentiles(during)}")
    print(
        f"forms (GET)    {len(rushed.forms.latencies):6d} req  {percentiles(rushed.forms.latencies)}  [{statuses(rushed.forms)}]"
    )
    print(
        f"bookings       {len(rushed.posts.latencies):6d} req  {percentiles(rushed.posts.latencies)}  [{statuses(rushed.posts)}]"
    )
    print(f"rush lasted    {rushed.ended - rushed.started:.2f} s")
    forms_cpu = cpu_spent(rushed.cpu[0], rushed.cpu[1])
    bookings_cpu = cpu_spent(rushed.cpu[1], rushed.cpu[2])
    print(f"CPU, forms     {cpu_shares(forms_cpu)}")
    print(f"CPU, bookings  {cpu_shares(bookings_cpu)}")
    forms_polls = len(polls.between(rushed.forms_started, rushed.started))
    print(
        f"client CPU     forms: {client_cpu(forms_cpu, len(rushed.forms.latencies), forms_polls)}"
    )
    print(
        f"               bookings: {client_cpu(bookings_cpu, len(rushed.posts.latencies), len(during))}"
    )
    servers = {name: bookings_cpu[name] for name in SERVERS if bookings_cpu[name] > 0}
    server_seconds = sum(servers.values())
    bookings = max(1, len(rushed.posts.latencies))
    cores = len(os.sched_getaffinity(0))
    print(
        f"servers        {server_seconds / bookings * 1000:.1f} ms CPU per booking ("
        + ", ".join(
            f"{name} {seconds / bookings * 1000:.1f}"
            for name, seconds in sorted(servers.items(), key=lambda item: -item[1])
        )
        + "), the polls answered meanwhile included"
    )
    print(
        f"rush bound     the servers' {server_seconds:.2f} CPU-seconds need {server_seconds / cores:.2f} s "
        f"on {cores} cores at least; the rush lasted {rushed.ended - rushed.started:.2f} s"
    )
    mail_mode = "a long-running send-mail" if args.mailer else "the web workers, after commit"
    if "mail" in figures:
        print(
            f"mail           {figures['mail']} received, sent by {mail_mode} ({args.smtp_delay_ms:.0f} ms each)"
        )
    errors = polls.errors + rushed.posts.errors + rushed.forms.errors + hello.errors
    print(f"errors         {dict(errors) or 'none'}")
    print(
        f"server CPU     hello {hello_cpu_ms:.2f} ms/req; under load {load_cpu_ms:.2f} ms/req "
        f"(x{load_cpu_ms / hello_cpu_ms if hello_cpu_ms else 0:.1f} hello)"
    )
    print(
        f"sale           {booked} confirmed of {args.capacity} seats: {'exact' if exact else 'NOT EXACT'}"
    )
    print(
        f"ledger         {'OK' if ledger_ok else 'WRONG'}: {ledger.splitlines()[-1] if ledger else ''}"
    )
    targets = {
        "poll p95 < 100 ms during the rush": p(during, 95) < 100,
        "booking p99 < 1500 ms": p(rushed.posts.latencies, 99) < 1500,
        "no 5xx": five_xx == 0,
        "every request answered": no_answer == 0,
        "exact sale": exact,
        "ledger OK": ledger_ok,
    }
    for name, met in targets.items():
        print(f"  {'PASS' if met else 'FAIL'}  {name}")
    return all(targets.values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pollers", type=int, default=1000, help="open programme pages")
    parser.add_argument("--interval", type=float, default=4.0, help="seconds between polls")
    parser.add_argument("--duration", type=float, default=24.0, help="seconds the pages poll")
    parser.add_argument("--rush-after", type=float, default=8.0, help="seconds before the rush")
    parser.add_argument("--rush", type=int, default=300, help="visitors booking at once")
    parser.add_argument("-c", "--capacity", type=int, default=30, help="seats in the session")
    parser.add_argument("--workers", type=int, default=4, help="sync workers per instance")
    parser.add_argument("--hello-seconds", type=float, default=8.0, help="length of the base")
    parser.add_argument(
        "--smtp-delay-ms",
        type=float,
        default=-1,
        help="run an SMTP server taking this long per message (default: none, refused at once)",
    )
    parser.add_argument(
        "--mailer", action="store_true", help="a long-running send-mail instead of the workers"
    )
    parser.add_argument("--pg-server", default=DEFAULT_PG_SERVER, help="PostgreSQL server URL")
    parser.add_argument("--pg-db", default="minerales_load_bench", help="bench database")
    args = parser.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    passed = run_on("postgresql", bench, args)
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
