"""nginx, with the repository's own site file, in front of two app instances on PostgreSQL.

Each instance stands for a host: gunicorn with deploy/gunicorn.conf.py on a port of its
own, one PostgreSQL database and one Redis shared (bench/nginx_stack.py starts them). Which
instance answered is read from its own request log, under the id nginx gave the request.
Without ``TEST_DATABASE_URL`` the module is skipped; under ``CI=true`` a missing nginx or
Redis fails it.
"""

from __future__ import annotations

import gzip
import http.client
import json
import random
import re
import sys
import time
from pathlib import Path

import pytest

from app.extensions import db

from .conftest import IN_CI, STAFF_PASSWORD
from .helpers import form_fields
from .hosts import host_app_fixture, host_database_fixture, host_environment  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import nginx_stack  # noqa: E402  (bench/ is not a package)

pytestmark = pytest.mark.postgresql
REDIS_URL = "redis://127.0.0.1:6379/0"


def missing(what: str) -> None:
    """Skip, or fail under CI, when a piece of the stack is not installed."""
    if IN_CI:
        pytest.fail(f"{what} (CI=true: this is a failure)")
    pytest.skip(what)


@pytest.fixture(scope="module")
def stack(host_database, tmp_path_factory):
    """Two instances and nginx, for the whole module."""
    if nginx_stack.nginx_binary() is None:
        missing("nginx is not installed (apt-get install nginx)")
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as error:
        missing(f"Redis is not answering at {REDIS_URL}: {error}")
    env = host_environment(
        host_database,
        REDIS_URL=REDIS_URL,
        RATELIMIT_ENABLED="true",
        RATELIMIT_API="4/minute",
        RATELIMIT_LOGIN="20/minute",
        RATELIMIT_BOOKING="20/minute",
        PROXY_FIX_X_FOR="1",
        PROXY_FIX_X_PROTO="1",
        LIVE_COUNTER_CACHE_SECONDS="0",
    )
    with nginx_stack.nginx_stack(env, tmp_path_factory.mktemp("stack")) as running:
        yield running


@pytest.fixture
def app(host_app):
    """``make_session`` takes ``app``: here it is the instances' database."""
    return host_app


class Client:
    """A browser at one address of its own (a 127.x.y.z source address), keeping cookies."""

    def __init__(self, stack) -> None:
        self.stack = stack
        self.address = (
            f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(2, 254)}"
        )
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict | None = None, headers=None):
        """One request through nginx; returns (status, headers, body bytes)."""
        from urllib.parse import urlencode

        conn = http.client.HTTPConnection(
            "127.0.0.1", self.stack.port, timeout=20, source_address=(self.address, 0)
        )
        sent = {"Host": "localhost", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urlencode(body).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=data, headers=sent)
            response = conn.getresponse()
            content = response.read()
        finally:
            conn.close()
        for cookie in response.msg.get_all("Set-Cookie") or []:
            name, _, value = cookie.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value.strip()
        return response.status, response.msg, content


def answered_by(stack, request_id: str) -> tuple[int, dict]:
    """Which instance logged the request with this id, and the line it logged."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        for index, log in enumerate(stack.instance_logs):
            for line in log.read_text(errors="replace").splitlines():
                if request_id in line and line.startswith("{"):
                    return index, json.loads(line)
        time.sleep(0.05)
    raise AssertionError(f"no instance logged request {request_id}")


def test_requests_alternate_between_the_instances_under_nginx_s_request_id(stack):
    client = Client(stack)
    seen = []
    for _ in range(4):
        status, headers, _ = client.request("GET", "/healthz")
        assert status == 200
        request_id = headers["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", request_id)  # nginx's $request_id
        index, line = answered_by(stack, request_id)
        assert line["request_id"] == request_id and line["route"] == "/healthz"
        seen.append(index)
    assert seen in ([0, 1, 0, 1], [1, 0, 1, 0])


def test_the_visitor_s_address_reaches_the_app_and_a_forged_one_does_not(stack):
    client = Client(stack)
    _, headers, _ = client.request("GET", "/healthz", headers={"X-Forwarded-For": "203.0.113.9"})
    _, line = answered_by(stack, headers["X-Request-ID"])
    assert line["client"] == client.address


def test_a_form_from_one_instance_is_accepted_by_the_other(stack, app, make_session):
    session_id = make_session(capacity=5)
    client = Client(stack)
    status, headers, page = client.request("GET", f"/sessions/{session_id}")
    assert status == 200
    form_from, _ = answered_by(stack, headers["X-Request-ID"])
    fields = form_fields(page.decode())
    party = {"name": "Ada Lovelace", "email": "ada@example.fr", "seats": "1"}
    status, headers, _ = client.request("POST", f"/sessions/{session_id}", {**fields, **party})
    posted_to, _ = answered_by(stack, headers["X-Request-ID"])
    assert status == 303, "the CSRF token and session cookie of one host hold on the other"
    assert posted_to != form_from


def test_a_staff_sign_in_on_one_instance_holds_on_the_other(stack, app):
    from app.models import Role
    from app.services.accounts import create_user

    with app.app_context():
        create_user("door@mines-ales.fr", Role.ORGANISER, STAFF_PASSWORD, "Door")
        db.session.commit()
    client = Client(stack)
    _, _, page = client.request("GET", "/login")
    fields = form_fields(page.decode())
    status, headers, _ = client.request(
        "POST", "/login", {**fields, "email": "door@mines-ales.fr", "password": STAFF_PASSWORD}
    )
    assert status == 303
    signed_in_on, _ = answered_by(stack, headers["X-Request-ID"])
    served_by = set()
    for _ in range(2):
        status, headers, _ = client.request("GET", "/admin/")
        assert status == 200
        served_by.add(answered_by(stack, headers["X-Request-ID"])[0])
    assert served_by == {0, 1}, f"signed in on {signed_in_on}"


def test_rate_limits_count_the_requests_of_both_instances(stack):
    client = Client(stack)
    served_by = set()
    for _ in range(4):
        status, headers, _ = client.request("GET", "/api/sessions")
        assert status == 200
        served_by.add(answered_by(stack, headers["X-Request-ID"])[0])
    assert served_by == {0, 1}
    status, _, _ = client.request("GET", "/api/sessions")
    assert status == 429  # the fifth in the minute, whichever instance counts it
    # Another address has a bucket of its own.
    assert Client(stack).request("GET", "/api/sessions")[0] == 200


def direct(stack, index: int, path: str, headers=None):
    """A request straight to one instance, bypassing nginx: (status, headers, body)."""
    conn = http.client.HTTPConnection(stack.instance_urls[index].split("//")[1], timeout=10)
    try:
        conn.request("GET", path, headers={"Host": "localhost", **(headers or {})})
        response = conn.getresponse()
        return response.status, response.msg, response.read()
    finally:
        conn.close()


def test_a_booking_through_one_instance_changes_the_live_count_on_the_other(
    stack, app, make_session
):
    session_id = make_session(capacity=5)
    _, headers, _ = direct(stack, 0, "/live/seats")
    etag = headers["ETag"]
    assert direct(stack, 1, "/live/seats", {"If-None-Match": etag})[0] == 304  # the same

    booker = Client(stack)
    _, _, page = booker.request("GET", f"/sessions/{session_id}")
    fields = form_fields(page.decode())
    party = {"name": "Ada", "email": "ada@example.fr", "seats": "2"}
    status, headers, _ = booker.request("POST", f"/sessions/{session_id}", {**fields, **party})
    assert status == 303
    booked_on, _ = answered_by(stack, headers["X-Request-ID"])

    status, headers, body = direct(stack, 1 - booked_on, "/live/seats", {"If-None-Match": etag})
    assert status == 200 and headers["ETag"] != etag
    assert f'id="avail-{session_id}"'.encode() in body
    # Through nginx, whose copy is a second old at most, the change shows within two.
    watcher = Client(stack)
    deadline = time.monotonic() + 3
    while True:
        status, headers, _ = watcher.request("GET", "/live/seats", headers={"If-None-Match": etag})
        if status == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert status == 200 and headers["ETag"] != etag


def test_nginx_answers_the_live_poll_itself_most_of_the_time(stack):
    client = Client(stack)
    _, headers, _ = client.request("GET", "/live/seats")
    etag = headers["ETag"]
    answers = [
        client.request("GET", "/live/seats", headers={"If-None-Match": etag}) for _ in range(5)
    ]
    assert all(status == 304 for status, _, _ in answers)
    assert any(headers["X-Cache"] == "HIT" for _, headers, _ in answers)
    ids = [headers["X-Request-ID"] for _, headers, _ in answers]
    assert len(set(ids)) == 5  # each answer has its own request's id, cached or not
    logged = "".join(log.read_text(errors="replace") for log in stack.instance_logs)
    assert sum(request_id in logged for request_id in ids) < 5


def test_nginx_keeps_one_copy_of_the_live_poll_per_language(stack):
    french = Client(stack).request("GET", "/live/seats")[1]["ETag"]
    english = Client(stack)
    english.cookies["lang"] = "en"
    assert "-en-" in english.request("GET", "/live/seats")[1]["ETag"]
    browser = Client(stack).request("GET", "/live/seats", headers={"Accept-Language": "en"})
    assert "-en-" in browser[1]["ETag"]
    assert "-fr-" in french and "-fr-" in Client(stack).request("GET", "/live/seats")[1]["ETag"]


def test_fingerprinted_files_come_from_nginx_compressed_for_a_year(stack, app, make_session):
    client = Client(stack)
    _, _, page = client.request("GET", "/")
    paths = re.findall(r"/assets/[0-9a-f]{10}/css/[\w.-]+\.css", page.decode())
    assert paths
    status, headers, body = client.request("GET", paths[0], headers={"Accept-Encoding": "gzip"})
    assert status == 200
    assert "max-age=31536000" in headers["Cache-Control"]
    assert "immutable" in headers["Cache-Control"]
    assert headers["Content-Encoding"] == "gzip"
    assert headers.get("X-Request-ID") is None  # nginx answered; no instance saw it
    name = paths[0].split("/", 3)[3]
    assert gzip.decompress(body) == (ROOT / "static" / name).read_bytes()
    # A digest nginx does not have goes to the app, which still serves the file, briefly.
    stale = paths[0].replace(paths[0].split("/")[2], "0000000000")
    status, headers, _ = client.request("GET", stale)
    assert status == 200 and "max-age=60" in headers["Cache-Control"]
    assert headers.get("X-Request-ID")


def test_metrics_are_read_from_each_instance_never_through_nginx(stack):
    client = Client(stack)
    assert client.request("GET", "/metrics")[0] == 404
    conn = http.client.HTTPConnection(stack.instance_urls[0].split("//")[1], timeout=10)
    conn.request("GET", "/metrics")
    response = conn.getresponse()
    text = response.read().decode()
    assert response.status == 200
    assert 'minerales_http_request_duration_seconds_count{method="GET",route="/healthz"' in text
    assert "minerales_outbox_backlog_messages" in text


def test_nginx_answers_its_own_french_page_when_every_instance_is_down(tmp_path):
    if nginx_stack.nginx_binary() is None:
        missing("nginx is not installed (apt-get install nginx)")
    from harness import free_port

    listen = free_port()
    dead = [free_port(), free_port()]
    with nginx_stack.nginx_only(tmp_path, listen, dead, tmp_path / "collected"):
        conn = http.client.HTTPConnection("127.0.0.1", listen, timeout=10)
        conn.request("GET", "/sessions/1", headers={"Host": "localhost"})
        response = conn.getresponse()
        page = response.read().decode()
    assert response.status == 502
    assert '<html lang="fr">' in page
    assert "Site momentanément indisponible" in page
    assert response.getheader("Retry-After") == "30"
