"""The bench's HTTP client: visitors load the booking form, then all post it at once.

Standard library only (``http.client``, and raw sockets with a selector for the POSTs),
not ``requests``: the clients share the machine's cores and the GIL with the server, and
every bit of CPU they use ends up in the measured latency. ``requests`` only serves the
API read (``seats_left``).
"""

from __future__ import annotations

import http.client
import io
import selectors
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

import requests
from harness import HOST

HTTP_TIMEOUT = 60.0


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


def rush(base_url: str, session_id: int, clients: int, *, connect_early: bool) -> list[Attempt]:
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
