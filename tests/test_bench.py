"""The ticket-rush bench counts every client it loses, and its verdict fails on them.

The rush runs here against a small real HTTP server on 127.0.0.1 that misbehaves on
purpose: it fails a form load, drops one POST without an answer, lets another wait past
the client's timeout, and answers a 422 besides the expected 303 and 409.
"""

from __future__ import annotations

import importlib
import itertools
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
FORM_PAGE = (
    b'<form method="post"><input type="hidden" name="csrf_token" value="t">'
    b'<input type="hidden" name="nonce" value="n"></form>'
)
# What the server does with each POST, in the order they arrive; every later one is refused.
POST_PLAN = ["drop", "hang", "422", "303"]
HANG_SECONDS = 3.0


def load_bench(monkeypatch):
    """The bench's client and the ticket-rush script, imported as the scripts import them.

    bench/ is not a package: its scripts import their siblings (``client``, ``harness``)
    from their own directory.
    """
    monkeypatch.syspath_prepend(str(BENCH))
    return importlib.import_module("client"), importlib.import_module("ticket_rush")


class Misbehaving(BaseHTTPRequestHandler):
    """Session page and booking POST, with the failures of POST_PLAN and one failed GET."""

    protocol_version = "HTTP/1.1"
    gets = itertools.count()
    posts = itertools.count()

    def log_message(self, *_args) -> None:
        """Quiet."""

    def answer(self, status: int, body: bytes = b"", location: str = "") -> None:
        """A whole response, then the connection closes, as gunicorn's sync workers do."""
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        """The first visitor's page load fails; the others get the form."""
        if next(self.gets) == 0:
            self.answer(500, b"<title>Erreur</title>")
        else:
            self.answer(200, FORM_PAGE)

    def do_POST(self) -> None:
        """Read the booking, then do what POST_PLAN says for this arrival."""
        self.rfile.read(int(self.headers["Content-Length"]))
        index = next(self.posts)
        plan = POST_PLAN[index] if index < len(POST_PLAN) else "409"
        if plan == "drop":  # a worker that dies before answering
            self.close_connection = True
        elif plan == "hang":  # a worker stuck past the client's patience
            time.sleep(HANG_SECONDS)
            self.close_connection = True
        elif plan == "303":
            self.answer(303, location="/b/ticket")
        else:
            self.answer(int(plan), b'<p class="notice">Complet</p>')


class RushServer(ThreadingHTTPServer):
    """Room in the accept queue for the whole crowd at once, as gunicorn has."""

    request_queue_size = 64
    daemon_threads = True
    block_on_close = False


@pytest.fixture
def misbehaving_server() -> Iterator[str]:
    """The server above on a free port of 127.0.0.1; its base URL."""
    Misbehaving.gets = itertools.count()
    Misbehaving.posts = itertools.count()
    server = RushServer(("127.0.0.1", 0), Misbehaving)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_lost_clients_are_counted_timed_and_fail_the_verdict(misbehaving_server, monkeypatch):
    client, bench = load_bench(monkeypatch)
    monkeypatch.setattr(client, "HTTP_TIMEOUT", 1.0)  # the hung POST is given up after 1 s
    attempts = client.rush(misbehaving_server, 1, 6, connect_early=True)
    counts, statuses = client.classify(attempts)

    assert counts["form failed"] == 1
    assert counts["no answer"] == 2
    assert (counts["303"], counts["409"], counts["4xx"]) == (1, 1, 1)
    assert statuses == Counter({303: 1, 409: 1, 422: 1})
    unanswered = [a for a in attempts if a.form_loaded and a.status is None]
    assert all(a.latency_ms is not None for a in unanswered), unanswered
    assert max(a.latency_ms for a in unanswered) >= 1000  # the one that waited out the timeout

    def result(with_counts: Counter[str]):
        quiet = bench.Throughput(requests=100, unexpected=0, errors=0, seconds=1.0)
        return bench.Result(
            label="sqlite",
            workers=1,
            poll_clients=1,
            capacity=1,
            clients=6,
            counts=with_counts,
            post_statuses=statuses,
            p50_ms=10.0,
            p99_ms=20.0,
            seats_left=0,
            ledger_ok=True,
            ledger_output="OK",
            poll=quiet,
            hello=quiet,
            problems=[],
        )

    marks = dict(result(counts).targets())
    assert marks["every form loaded"] is False
    assert marks["every POST answered"] is False
    assert marks["no other 4xx"] is False
    assert not result(counts).passed
    clean = Counter({**counts, "form failed": 0, "no answer": 0, "4xx": 0})
    assert result(clean).passed  # the same run without the lost clients meets every target
