"""Database plumbing shared by every area: engine tuning and the request transaction.

SQLite: WAL so readers never wait for writers, a busy timeout so writers queue, and the
SQLAlchemy recipe that takes transaction control away from pysqlite so that a writer's
transaction starts with ``BEGIN IMMEDIATE``. Without it, two writers can both start a
deferred transaction, read, then fail with "database is locked" when one upgrades to a
write lock; busy_timeout does not help in that case.

PostgreSQL: READ COMMITTED with a lock timeout; seat changes are conditional UPDATEs and
row locks, which stay correct under that isolation level.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, g, has_app_context
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url

from .extensions import db

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def engine_options(config: dict[str, Any]) -> dict[str, Any]:
    """Return ``SQLALCHEMY_ENGINE_OPTIONS`` suited to the configured database."""
    url = make_url(config["SQLALCHEMY_DATABASE_URI"])
    lock_timeout_ms = int(config["DB_LOCK_TIMEOUT_MS"])
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    connect_args = dict(options.get("connect_args") or {})
    if url.get_backend_name() == "sqlite":
        connect_args.setdefault("timeout", lock_timeout_ms / 1000)
        connect_args.setdefault("check_same_thread", False)
    elif url.get_backend_name() == "postgresql":
        pg_options = (
            f"-c lock_timeout={lock_timeout_ms} -c idle_in_transaction_session_timeout=60000"
        )
        extra = connect_args.get("options")
        connect_args["options"] = f"{pg_options} {extra}" if extra else pg_options
        options.setdefault("pool_pre_ping", True)
    options["connect_args"] = connect_args
    return options


def mark_write_intent() -> None:
    """Ask for the next transaction of this app context to take the write lock up front.

    Services that change seats call this first; POST requests set it before the view runs.
    It only matters on SQLite, and only if no transaction has begun yet.
    """
    if has_app_context():
        g.db_write_intent = True


def _wants_immediate() -> bool:
    """Tell whether the transaction about to begin belongs to a writer."""
    return has_app_context() and bool(g.get("db_write_intent"))


def install_sqlite_listeners(engine: Engine, busy_timeout_ms: int) -> None:
    """Tune every SQLite connection and issue our own BEGIN / BEGIN IMMEDIATE."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        """Switch pysqlite's implicit transactions off and set the pragmas."""
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        """Start the transaction ourselves, IMMEDIATE for writers."""
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _wants_immediate() else "BEGIN")


def init_database(app: Flask) -> None:
    """Attach the engine listeners and the one-transaction-per-request hooks."""
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            install_sqlite_listeners(engine, app.config["DB_LOCK_TIMEOUT_MS"])

    @app.before_request
    def _declare_writer() -> None:
        """Unsafe methods write: on SQLite their transaction takes the lock up front."""
        from flask import request

        if request.method not in SAFE_METHODS:
            g.db_write_intent = True

    @app.after_request
    def _finish_unit_of_work(response: Any) -> Any:
        """Commit the request's single transaction, or roll it back on an error status.

        An exception raised by the commit (a lock timeout, say) reaches the app's error
        handlers, so the client gets the 503 page rather than a success that was not saved.
        """
        if response.status_code >= 400:
            db.session.rollback()
        else:
            db.session.commit()
            callbacks = g.pop("after_commit", [])
            for callback in callbacks:
                response.call_on_close(callback)
        return response


def after_commit(callback: Any) -> None:
    """Run ``callback`` once the request's transaction has committed and the reply is sent.

    The callback runs outside the request's app context; it must push its own.
    """
    g.setdefault("after_commit", []).append(callback)
