"""Shared fixtures: an app per database, client, runner, live server, browser.

Every test that takes ``app`` (or ``client``/``runner``) runs once on SQLite and, when
``TEST_DATABASE_URL`` is set, once more on PostgreSQL. The schema is created once per run
by the real Alembic migrations (PostgreSQL: in a throwaway schema), and the tables are
emptied before each test. Under ``CI=true`` a missing PostgreSQL or Chromium fails the run.
"""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import flask_migrate
import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text, update
from werkzeug.serving import make_server

from app import create_app
from app.extensions import db
from app.models import SEATS_COUNTER, ChangeCounter, Event, EventKind, EventSession, Venue
from app.timeutil import utcnow

from .helpers import form_fields

IN_CI = os.environ.get("CI", "").lower() == "true"
PG_URL = os.environ.get("TEST_DATABASE_URL", "")
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")

BASE_CONFIG: dict[str, Any] = {
    "TESTING": True,
    "SECRET_KEY": "tests-only-secret",
    "RATELIMIT_ENABLED": False,
    # The JSON line per request is tested on its own (test_observability); elsewhere the
    # live servers' lines would only drown the test output.
    "REQUEST_LOG": False,
    # Like the rate limits, the cap per e-mail address is for people, not for tests that
    # book a session full under one address; the tests of the cap set it themselves.
    "BOOKING_MAX_SEATS_PER_EMAIL": 1000,
    "HTMX_SOURCE": "local",
    # The test client's host: links in mail point back at it.
    "BASE_URL": "http://localhost",
    "LIVE_POLL_SECONDS": 1,
    "MAIL_SERVER": "127.0.0.1",
    "MAIL_PORT": 1,  # nothing listens there: a test that needs mail starts its own SMTP server
}


def pytest_sessionstart(session: pytest.Session) -> None:
    """Under CI, refuse to run without PostgreSQL rather than silently skip it."""
    if IN_CI and not PG_URL:
        raise pytest.UsageError(
            "CI=true but TEST_DATABASE_URL is not set: PostgreSQL tests would be skipped"
        )


def backends() -> list[Any]:
    """The databases every app-level test runs on."""
    params = [pytest.param("sqlite", id="sqlite")]
    if PG_URL:
        params.append(pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgresql))
    return params


def pytest_configure(config: pytest.Config) -> None:
    """Declare the marker used for PostgreSQL runs."""
    config.addinivalue_line("markers", "postgresql: runs on the PostgreSQL server")


def _migrate(config: dict[str, Any]) -> None:
    """Create the schema with the real migrations."""
    app = create_app(config)
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def database_configs(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, dict[str, Any]]]:
    """Migrate one database per backend for the whole run; drop the PostgreSQL schema after."""
    configs: dict[str, dict[str, Any]] = {}
    sqlite_file = tmp_path_factory.mktemp("db") / "test.sqlite3"
    configs["sqlite"] = {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{sqlite_file}"}
    _migrate(configs["sqlite"])
    schema = None
    if PG_URL:
        schema = f"test_{uuid.uuid4().hex[:12]}"
        admin = create_engine(_psycopg(PG_URL), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        except Exception as error:
            pytest.fail(f"TEST_DATABASE_URL is set but PostgreSQL is unreachable: {error}")
        configs["postgresql"] = {
            **BASE_CONFIG,
            "SQLALCHEMY_DATABASE_URI": PG_URL,
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"options": f"-c search_path={schema}"}},
            "PG_SCHEMA": schema,
        }
        _migrate(configs["postgresql"])
    yield configs
    if schema:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _psycopg(url: str) -> str:
    """Use the psycopg 3 driver for a plain postgresql:// URL."""
    from app.config import normalise_database_url

    return normalise_database_url(url)


_EMPTYING_SQL: dict[str, str] = {}


def _emptying_sql(connection: Any) -> str:
    """One script that empties every table on PostgreSQL, built once per schema.

    ``TRUNCATE`` replaces every table's files, a cost paid before each test however little
    the tables hold; the tests leave a handful of rows, which ``DELETE`` (children first)
    removes far more cheaply. Each sequence is set back to 1, as ``TRUNCATE … RESTART
    IDENTITY`` would, so the ids a test sees do not depend on the tests before it.
    """
    key = str(
        connection.exec_driver_sql("SELECT current_database() || '.' || current_schema()").scalar()
    )
    if key not in _EMPTYING_SQL:
        tables = [t for t in reversed(db.metadata.sorted_tables) if t.name != "change_counter"]
        sequences = connection.exec_driver_sql(
            "SELECT sequence_name FROM information_schema.sequences"
            " WHERE sequence_schema = current_schema() ORDER BY sequence_name"
        ).scalars()
        resets = ", ".join(f"setval('\"{name}\"', 1, false)" for name in sequences)
        statements = [f'DELETE FROM "{t.name}"' for t in tables]
        if resets:
            statements.append(f"SELECT {resets}")
        _EMPTYING_SQL[key] = "; ".join(statements)
    return _EMPTYING_SQL[key]


def empty_tables() -> None:
    """Delete every row but the live counter's, which is reset to zero; ids start again at 1."""
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(_emptying_sql(connection))
        else:
            for table in reversed(db.metadata.sorted_tables):
                if table.name != "change_counter":
                    connection.execute(table.delete())
        connection.execute(
            update(ChangeCounter).where(ChangeCounter.name == SEATS_COUNTER).values(value=0)
        )


@pytest.fixture(params=backends())
def app(
    request: pytest.FixtureRequest, database_configs: dict[str, dict[str, Any]]
) -> Iterator[Any]:
    """The app on one database, with empty tables."""
    if request.param not in database_configs:
        pytest.fail(f"no {request.param} database configured")
    marker = request.node.get_closest_marker("app_config")
    overrides = marker.kwargs if marker else {}
    application = create_app({**database_configs[request.param], **overrides})
    with application.app_context():
        empty_tables()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


class ServerLikeClient(FlaskClient):
    """A test client that closes each response as a WSGI server does.

    Werkzeug's client leaves responses open unless it follows redirects, so work the app
    schedules for after the response (``call_on_close``: sending the outbox) would never
    run; gunicorn and the development server always close.
    """

    def open(self, *args: Any, buffered: bool = True, **kwargs: Any) -> Any:
        """Open with buffering on: the app's iterator is consumed and closed at once."""
        return super().open(*args, buffered=buffered, **kwargs)


@pytest.fixture
def client(app: Any) -> Any:
    """A test client (CSRF is on, as in production)."""
    app.test_client_class = ServerLikeClient
    return app.test_client()


@pytest.fixture
def runner(app: Any) -> Any:
    """A CLI runner for ``flask`` commands."""
    return app.test_cli_runner()


@pytest.fixture
def backend(app: Any) -> str:
    """The database dialect name of this test's app: ``sqlite`` or ``postgresql``."""
    with app.app_context():
        return db.engine.dialect.name


@pytest.fixture
def make_session(app: Any) -> Any:
    """Create a bookable session and return its id; keyword arguments override defaults."""

    def factory(
        capacity: int = 20,
        starts_in: timedelta = timedelta(days=7),
        kind: EventKind = EventKind.VISIT,
        title: str = "Exposition commentée",
        **fields: Any,
    ) -> int:
        """Insert venue, event and session in one transaction."""
        with app.app_context():
            venue = Venue(name="Le Hub", city="30100 Alès", step_free=True)
            event = Event(slug=f"event-{uuid.uuid4().hex[:8]}", kind=kind, title=title, venue=venue)
            starts_at = utcnow() + starts_in
            session = EventSession(
                event=event,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(hours=1),
                capacity=capacity,
                **fields,
            )
            db.session.add_all([venue, event, session])
            db.session.commit()
            return session.id

    return factory


@pytest.fixture
def live_server(app: Any) -> Iterator[str]:
    """Serve the app on a real socket in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = base_url  # the site's public address: links in mail point here
    try:
        yield base_url
    finally:
        server.shutdown()
        thread.join(timeout=10)


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Any]:
    """Playwright itself, for Debian's Chromium (``playwright install`` cannot download here)."""
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        if IN_CI:
            pytest.fail(f"Chromium not found at {CHROMIUM} (CI=true: this is a failure)")
        pytest.skip(f"Chromium not found at {CHROMIUM}; install it with 'apt-get install chromium'")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def chromium(playwright_driver: Any) -> Iterator[Any]:
    """One headless Chromium for the whole run."""
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def page_factory(chromium: Any) -> Iterator[Any]:
    """Open fresh browser pages (each in its own context) and close them after the test."""
    contexts = []

    def factory(width: int = 1024, height: int = 800, **options: Any) -> Any:
        """A new page at the given viewport."""
        context = chromium.new_context(
            viewport={"width": width, "height": height}, locale="fr-FR", **options
        )
        contexts.append(context)
        return context.new_page()

    yield factory
    for context in contexts:
        context.close()


@pytest.fixture
def book_form(client: Any) -> Any:
    """Fetch a session page and return its form fields (CSRF token and nonce included)."""

    def fetch(session_id: int) -> dict[str, str]:
        """GET the page as a browser would and read the hidden fields."""
        response = client.get(f"/sessions/{session_id}")
        assert response.status_code == 200
        return form_fields(response.get_data(as_text=True))

    return fetch


def addressed_to(message: Any, address: str) -> bool:
    """Whether a received message's To header names ``address`` (with or without a name)."""
    return any(a.addr_spec == address for a in message["To"].addresses)


class SmtpSink:
    """An aiosmtpd handler that keeps what it receives; it can also refuse on demand."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.envelopes: list[Any] = []
        self.refuse_next: list[str] = []  # e.g. ["451 4.3.0 Try again later"]
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Store the message, or answer the next scripted refusal."""
        import email
        import email.policy

        with self._lock:
            if self.refuse_next:
                return self.refuse_next.pop(0)
            self.envelopes.append(envelope)
            self.messages.append(
                email.message_from_bytes(envelope.content, policy=email.policy.default)
            )
        return "250 Message accepted"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Any]:
        """Wait until ``count`` messages arrived (the sender runs after the response)."""
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.05)
        return list(self.messages)

    def wait_for_mail(self, to: str, subject_prefix: str, timeout: float = 10.0) -> Any:
        """Wait for the first message to ``to`` whose subject starts with ``subject_prefix``."""
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                for message in self.messages:
                    if addressed_to(message, to) and str(message["Subject"]).startswith(
                        subject_prefix
                    ):
                        return message
            time.sleep(0.05)
        raise AssertionError(
            f"no mail to {to} starting with {subject_prefix!r}: {[m['Subject'] for m in self.messages]}"
        )

    def to(self, address: str) -> list[Any]:
        """The messages sent to ``address``."""
        return [m for m in self.messages if addressed_to(m, address)]


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpServer:
    """A real SMTP server on localhost (aiosmtpd), which tests can stop and start again."""

    def __init__(self, port: int) -> None:
        from aiosmtpd.controller import Controller

        self.port = port
        self.sink = SmtpSink()
        self._controller_class = Controller
        self.controller: Any = None

    def start(self) -> None:
        """Start listening."""
        self.controller = self._controller_class(self.sink, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        """Stop listening (connections are then refused)."""
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server(app: Any) -> Iterator[SmtpServer]:
    """A real SMTP server, not started: the test decides when it is up."""
    from app.services.mail import reset_circuit

    server = SmtpServer(free_port())
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_BACKOFF_SECONDS=0)
    reset_circuit()
    yield server
    server.stop()
    reset_circuit()


@pytest.fixture
def smtp(smtp_server: SmtpServer) -> SmtpSink:
    """A running SMTP server's sink: every mail the app sends lands here."""
    smtp_server.start()
    return smtp_server.sink


STAFF_PASSWORD = "a-long-enough-password"


@pytest.fixture
def staff_login(app: Any) -> Any:
    """Sign a client in as a new staff member of a given role; returns the client."""
    from app.models import Role
    from app.services.accounts import create_user

    def sign_in(client: Any, role: str = "organiser", email: str | None = None) -> Any:
        """Create the account (once) and post the login form with its CSRF token."""
        email = email or f"{role}@mines-ales.fr"
        with app.app_context():
            create_user(email, Role(role), STAFF_PASSWORD, role.title())
            db.session.commit()
        fields = form_fields(client.get("/login").get_data(as_text=True))
        response = client.post(
            "/login", data={**fields, "email": email, "password": STAFF_PASSWORD}
        )
        assert response.status_code == 303, response.get_data(as_text=True)[:300]
        return client

    return sign_in


@pytest.fixture
def collection(app, make_session):
    """Four specimens on display and a hidden one; three shown by the exhibition."""
    from .gallery_helpers import make_collection

    return make_collection(app, make_session)


@pytest.fixture
def organiser(client, staff_login):
    """A client signed in as an organiser."""
    return staff_login(client, "organiser")
