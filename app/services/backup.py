"""Backups of the whole database, and putting one back.

SQLite: the online backup API (``sqlite3.Connection.backup``) copies a consistent snapshot
while the app keeps serving; with WAL, readers and writers are not blocked by it. The copy
goes to a temporary file that is checked (``PRAGMA quick_check``) and then renamed, so a
crash never leaves a half-written file under the backup's name. A restore uses the same
API the other way round, which takes the live database's write lock instead of copying a
file over it (copying would mix the old ``-wal`` file with the new database).

Both work on the database the app's engine really opened. Flask-SQLAlchemy opens a
relative SQLite path under ``app.instance_path``, not under the working directory, so the
file is asked of a connection (``PRAGMA database_list``) rather than taken from the URL.

PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore --clean`` when the client tools
are installed; docs/production.md gives the same commands to run by hand.

Backups hold people's names and addresses: they are written readable by their owner only.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy.engine import URL

from ..extensions import db


class BackupError(Exception):
    """A backup or restore that could not be done; the message says why and what to do."""


@dataclass(frozen=True)
class BackupResult:
    """Where a backup went and how big it is."""

    path: Path
    size: int
    method: str


def database_url() -> URL:
    """The URL of the database the app's engine connects to (as Flask-SQLAlchemy set it)."""
    return db.engine.url


# ----------------------------------------------------------------------------------- SQLite


def sqlite_file(url: URL | None = None) -> Path:
    """The file of the app's live SQLite database, as SQLite itself opened it.

    ``url`` is not read: a relative path in it means the instance folder to
    Flask-SQLAlchemy, and something else to any code that resolves it again.
    In-memory databases cannot be backed up.
    """
    with db.engine.connect() as connection:
        files = {name: file for _, name, file in connection.exec_driver_sql("PRAGMA database_list")}
    if not files.get("main"):
        raise BackupError("an in-memory SQLite database has nothing to back up")
    return Path(files["main"]).resolve()


def _sqlite_uri(path: Path, mode: str) -> str:
    """A ``file:`` URI for ``path`` (quoted: a ``?`` or ``#`` in a name stays a name)."""
    return f"{path.resolve().as_uri()}?mode={mode}"


def check_sqlite_file(path: Path) -> None:
    """Make sure ``path`` is an intact SQLite database of this app."""
    try:
        with closing(sqlite3.connect(_sqlite_uri(path, "ro"), uri=True)) as connection:
            verdict = connection.execute("PRAGMA quick_check").fetchone()[0]
            tables = {
                row[0]
                for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is not a readable SQLite database: {error}") from None
    if verdict != "ok":
        raise BackupError(f"{path} is damaged: {verdict}")
    if not {"alembic_version", "booking", "event_session"} <= tables:
        raise BackupError(f"{path} is not a Minér'Alès database (tables missing)")


def private_empty_file(path: Path) -> Path:
    """Create ``path`` empty and readable by its owner only, before any personal data goes in.

    Created with the umask (often 0644) and restricted afterwards, a backup would be
    readable by every local account while it is being written.
    """
    path.unlink(missing_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    return path


def backup_sqlite(source: Path, target: Path) -> None:
    """Copy a consistent snapshot of ``source`` into the single file ``target``."""
    partial = private_empty_file(target.with_name(f".{target.name}.partial"))
    try:
        try:
            with (
                closing(sqlite3.connect(_sqlite_uri(source, "ro"), uri=True)) as src,
                closing(sqlite3.connect(partial)) as dst,
            ):
                # One step: the whole copy comes from one read transaction, so it is a
                # single moment of the database; under WAL, writers carry on meanwhile.
                src.backup(dst)
                # A backup is one self-contained file, not a database plus its -wal.
                dst.execute("PRAGMA journal_mode=DELETE")
        except sqlite3.Error as error:
            raise BackupError(f"cannot copy {source} to {target}: {error}") from None
        check_sqlite_file(partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def restore_sqlite(backup: Path, target: Path) -> None:
    """Replace the contents of the live database ``target`` with ``backup``.

    ``target`` must exist: a restore that created a new file would leave the live
    database as it was and still report success.
    """
    check_sqlite_file(backup)
    timeout = current_app.config["DB_LOCK_TIMEOUT_MS"] / 1000
    try:
        with (
            closing(sqlite3.connect(_sqlite_uri(backup, "ro"), uri=True)) as src,
            closing(sqlite3.connect(_sqlite_uri(target, "rw"), uri=True, timeout=timeout)) as dst,
        ):
            src.backup(dst)
    except sqlite3.OperationalError as error:
        raise BackupError(f"cannot write the live database {target}: {error}") from None


# ------------------------------------------------------------------------------- PostgreSQL


def _pg_tool(name: str) -> str:
    """The path of ``pg_dump`` or ``pg_restore``, or a clear refusal."""
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} is not installed (apt-get install postgresql-client); "
            "docs/production.md, « Backup and restore », gives the commands to run by hand"
        )
    return path


def _pg_target(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password, and the environment that carries it (not argv)."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def pg_schema() -> str | None:
    """The schema the app's connections use when one is set with ``-c search_path=…``."""
    options = (current_app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}).get("connect_args", {})
    for part in str(options.get("options", "")).split("-c"):
        name, _, value = part.strip().partition("=")
        if name.strip() == "search_path" and value.strip():
            return value.strip().split(",")[0].strip().strip('"')
    return None


def _run(args: list[str], env: dict[str, str]) -> None:
    """Run a PostgreSQL client tool; its error output becomes the error's message."""
    # The arguments are the tool found on PATH and the app's own settings, never a visitor's.
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed: {result.stderr.strip()[:2000]}")


def backup_postgresql(url: URL, target: Path) -> None:
    """``pg_dump`` the database (or the app's schema) into ``target``, custom format."""
    dbname, env = _pg_target(url)
    partial = private_empty_file(target.with_name(f".{target.name}.partial"))
    args = [_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges"]
    if schema := pg_schema():
        args += ["--schema", schema]
    try:
        _run([*args, f"--file={partial}", f"--dbname={dbname}"], env)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def restore_postgresql(url: URL, backup: Path) -> None:
    """``pg_restore --clean`` a custom-format dump, in one transaction."""
    dbname, env = _pg_target(url)
    args = [
        _pg_tool("pg_restore"),
        "--clean",
        "--if-exists",
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
        f"--dbname={dbname}",
        str(backup),
    ]
    _run(args, env)


# ------------------------------------------------------------------------------------ both


def backup_database(target: Path) -> BackupResult:
    """Back the configured database up into ``target`` (replaced if it exists)."""
    url = database_url()
    target = target.resolve()
    if not target.parent.is_dir():
        raise BackupError(f"{target.parent} is not a directory")
    backend = url.get_backend_name()
    if backend == "sqlite":
        source = sqlite_file()
        if source == target:
            raise BackupError("the backup would overwrite the database itself")
        backup_sqlite(source, target)
        method = "sqlite3 online backup"
    elif backend == "postgresql":
        backup_postgresql(url, target)
        method = "pg_dump (custom format)"
    else:
        raise BackupError(f"no backup method for {backend}")
    return BackupResult(target, target.stat().st_size, method)


def restore_database(backup: Path) -> None:
    """Replace the whole configured database with ``backup``.

    The app's own pooled connections are closed first: PostgreSQL would otherwise wait
    on their locks, and nothing must keep reading the old data afterwards.
    """
    url = database_url()
    live = sqlite_file() if url.get_backend_name() == "sqlite" else None
    db.session.remove()
    db.engine.dispose()
    backend = url.get_backend_name()
    if live is not None:
        restore_sqlite(backup, live)
    elif backend == "postgresql":
        restore_postgresql(url, backup)
    else:
        raise BackupError(f"no restore method for {backend}")
    db.engine.dispose()
