"""What every bench shares: a fresh database, gunicorn serving it, the ledger check, the stop.

For each database chosen on the command line (``run_benches``), a bench gets a fresh one
(``run_on``: a SQLite file in a temporary directory, or a PostgreSQL database whose name
contains "bench", dropped and created again, and dropped afterwards), migrates it and adds
one session (``prepare_database``), serves it with gunicorn's sync workers for as long as
it needs (``gunicorn``), and checks the seat counters at the end (``check_ledger``).
gunicorn is stopped and the database dropped even on error, Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
BIN_DIR = VENV_BIN if VENV_BIN.is_dir() else Path(sys.executable).parent
HOST = "127.0.0.1"
DEFAULT_PG_SERVER = "postgresql://postgres@127.0.0.1:5432"

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


# -------------------------------------------------------------------------------- runs


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


def exit_on_sigterm(signum: int, _frame: object) -> None:
    """Turn SIGTERM into ``SystemExit``, so gunicorn is stopped and the database dropped."""
    raise SystemExit(128 + signum)
