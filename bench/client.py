"""The bench's HTTP client: visitors load the booking form, then all post it at once.

Standard library only (``http.client``, and raw sockets with a selector for the POSTs),
not ``requests``: the clients share the machine's cores and the GIL with the server, and
every bit of CPU they use ends up in the measured latency. ``requests`` only serves the
API read (``seats_left``).
"""

from __future__ import annotations

import functools
import html
import http.client
import io
import re
import selectors
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

import requests
from harness import HOST

HTTP_TIMEOUT = 60.0


# The value attribute of one tag, as Jinja writes it (double quotes, escaped inside).
VALUE_ATTRIBUTE = re.compile(rb'\svalue="([^"]*)"')


def form_values(page: bytes, names: tuple[str, ...] = ("csrf_token", "nonce")) -> dict[str, str]:
    """The values of the ``<input>``s of ``page`` named ``names`` (the last one of each name).

    A search for each name in the raw page, not an HTML parser: a visitor needs only the
    form's hidden tokens, and parsing the whole 20 KB session page cost the client more CPU
    than the rest of its request, on the cores the servers being measured use. A name with
    no input is left out, as a parser would.
    """
    values: dict[str, str] = {}
    for name in names:
        at = page.rfind(b'name="' + name.encode() + b'"')
        if at < 0:
            continue
        start, end = page.rfind(b"<input", 0, at), page.find(b">", at)
        if start < 0 or end < 0 or page.find(b">", start, at) >= 0:
            continue  # not inside an <input> tag
        found = VALUE_ATTRIBUTE.search(page, start, end)
        value = found.group(1).decode("utf-8", "replace") if found else ""
        values[name] = html.unescape(value) if "&" in value else value
    return values


def split_reply(raw: bytes) -> tuple[int, bytes, bytes]:
    """Status, header lines and body of a whole HTTP/1.x response (the server closed after it).

    The headers stay unparsed (``header_value`` reads one): a poll needs its ETag only, and
    ``http.client``'s e-mail parser cost more CPU than the poll's socket calls. Raises
    ``http.client.BadStatusLine`` (or ``ValueError``) when ``raw`` is not a response.
    """
    head, separator, body = raw.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0]
    parts = status_line.split(None, 2)
    if not separator or len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
        raise http.client.BadStatusLine(status_line.decode("latin-1") or "(nothing)")
    return int(parts[1]), head, body


@functools.cache
def header_line(name: str) -> re.Pattern[bytes]:
    """A header line named ``name`` (any case) in a response's head, its value captured."""
    return re.compile(rb"\r\n" + re.escape(name.encode()) + rb":[ \t]*([^\r\n]*)", re.IGNORECASE)


def header_value(head: bytes, name: str) -> str:
    """The value of header ``name`` in ``head`` (the last one if repeated), "" when absent."""
    found = header_line(name).findall(head)
    return found[-1].rstrip(b" \t").decode("latin-1") if found else ""


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
    fields = form_values(page.body)
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
