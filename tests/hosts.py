"""What the several-hosts tests share: a PostgreSQL database of their own, and the processes.

Separate hosts can only share PostgreSQL (a SQLite file lives on one machine), and each
"host" here is a process of its own (``flask`` or ``gunicorn``), which cannot be told to
use the suite's throwaway schema: these tests get a whole database instead, created from
``TEST_DATABASE_URL``'s server, migrated, and dropped at the end. A test module imports
the fixtures (``host_database_fixture``, ``host_app_fixture``). Without
``TEST_DATABASE_URL`` they are skipped (under ``CI=true`` tests/conftest.py has already
refused to run without it).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from app import create_app
from app.config import normalise_database_url
from app.extensions import db

from .conftest import BASE_CONFIG, PG_URL, _migrate

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def server_url(url: str) -> str:
    """The PostgreSQL server of ``url``, without its database name."""
    return url.rsplit("/", 1)[0]


@pytest.fixture(scope="module", name="host_database")
def host_database_fixture() -> Iterator[str]:
    """A migrated PostgreSQL database of its own for this module; its URL."""
    if not PG_URL:
        pytest.skip("several hosts share PostgreSQL only: TEST_DATABASE_URL is not set")
    name = f"minerales_hosts_{uuid.uuid4().hex[:10]}"
    admin = create_engine(
        normalise_database_url(f"{server_url(PG_URL)}/postgres"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = f"{server_url(PG_URL)}/{name}"
    try:
        _migrate({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(name="host_app")
def host_app_fixture(host_database: str) -> Iterator[Any]:
    """The app on the hosts' database, in this process, with empty tables."""
    from .conftest import empty_tables

    application = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": host_database})
    with application.app_context():
        empty_tables()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


SECRET_KEY = secrets.token_hex(32)


def host_environment(database_url: str, **settings: str) -> dict[str, str]:
    """The environment every host of one test shares: one database, one key, one Redis."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PROMETHEUS")}
    env.pop("REDIS_URL", None)
    env.update(
        {
            "APP_ENV": "development",
            "DATABASE_URL": database_url,
            "SECRET_KEY": SECRET_KEY,
            "BASE_URL": "http://localhost",
            "HTMX_SOURCE": "local",
            "RATELIMIT_ENABLED": "false",
            "BOOKING_MAX_SEATS_PER_EMAIL": "1000",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(settings)
    return env


def start_command(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    """Start ``flask --app wsgi ARGS`` as another host would; read its output later."""
    return subprocess.Popen(
        [str(BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(process: subprocess.Popen[str], timeout: float = 60) -> str:
    """Wait for a command; its output, after checking that it succeeded."""
    output, _ = process.communicate(timeout=timeout)
    assert process.returncode == 0, output
    return output
