"""Database plumbing shared by every area: engine tuning and the request transaction.

SQLite: WAL so readers never wait for writers, a busy timeout so writers queue, and the
SQLAlchemy recipe that takes transaction control away from pysqlite so that a writer's
transaction starts with ``BEGIN IMMEDIATE``. Without it, two writers can both start a
deferred transaction, read, then fail with "database is locked" when one upgrades to a
write lock; busy_timeout does not help in that case.

PostgreSQL: READ COMMITTED with a lock timeout; seat changes are conditional UPDATEs and
row locks, which stay correct under that isolation level. A request's reads before its
first write run in autocommit mode: under READ COMMITTED every statement sees its own
snapshot anyway, so a transaction around them only cost two round trips (BEGIN and
COMMIT or ROLLBACK) on every page. ``writing()`` ends that mode, so every change still
happens in one transaction; a write attempted outside it is refused in tests and logged
in production (see ``_writes_outside_a_transaction``).

The unit of work belongs to the services: a service enters ``writing()`` (or is decorated
with ``@writes``) before it changes anything; a rule that says no rolls back what the
block wrote; the request commits once after its answer. Views never begin, end or commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from flask import Flask, current_app, g, has_app_context
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session as SASession

from .extensions import db

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")


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
        # No pre-ping: it costs a round trip on every request, a large part of a poll.
        # Connections are recycled instead, and one that died anyway fails its request
        # with the 503 page while SQLAlchemy throws the pool's connections away.
        options.setdefault("pool_recycle", 1800)
    options["connect_args"] = connect_args
    return options


@contextmanager
def writing() -> Iterator[None]:
    """The request's unit of work, entered by a service before it changes anything.

    Re-entrant: a service calling another service joins the same transaction. When the
    outermost block raises (a rule said no, a lock timed out), everything it wrote is rolled
    back at once, so the page that explains the refusal never holds the lock other visitors
    wait for, and the request's commit hook finds nothing to commit. The transaction itself
    commits once, after the view has answered (``init_database``), or in a command, where
    the command commits.
    """
    depth = g.get("db_writing_depth", 0) if has_app_context() else 0
    _begin_write()
    if has_app_context():
        g.db_writing_depth = depth + 1
    try:
        yield
    except BaseException as error:
        if depth == 0:
            # A refusal that is itself a record (a failed sign-in is counted) keeps what
            # it wrote; any other error leaves nothing behind.
            _end_write(commit=bool(getattr(error, "keeps_what_it_wrote", False)))
        raise
    finally:
        if has_app_context():
            g.db_writing_depth = depth


def writes(function: Callable[P, R]) -> Callable[P, R]:
    """Run a whole service function inside ``writing()``."""

    @wraps(function)
    def inside_the_unit_of_work(*args: P.args, **kwargs: P.kwargs) -> R:
        with writing():
            return function(*args, **kwargs)

    return inside_the_unit_of_work


def in_unit_of_work() -> bool:
    """Whether a writer's transaction is open (``writing()`` was entered)."""
    return has_app_context() and bool(g.get("db_write_intent"))


def commit_now() -> None:
    """End the unit of work here and start a new one on the next statement.

    For commands and the mail sender, whose items each deserve a transaction of their own
    (one claimed message, one session's expired offers); a request commits once, after
    its answer.
    """
    _end_write(commit=True)


def _begin_write() -> None:
    """Make the rest of this unit of work a writer's transaction.

    A request's reads before that point (loading the session page, checking the form) run
    in an ordinary read transaction that does not block other writers. On SQLite that read
    transaction is ended here (it wrote nothing), so the next statement starts with BEGIN
    IMMEDIATE and the write lock is held only for the change itself.
    """
    if not has_app_context() or g.get("db_write_intent"):
        return
    g.db_write_intent = True
    if db.session().in_transaction():
        # SQLite: end the read transaction. PostgreSQL: leave autocommit mode (nothing
        # to commit); the next statement takes a connection that opens a transaction.
        db.session.commit()


def _end_write(commit: bool) -> None:
    """Finish the writer's transaction now (commit or roll back) and drop the write intent."""
    if not g.get("db_write_intent"):
        return  # nothing was written: keep the read transaction and what it loaded
    if commit:
        db.session.commit()
    else:
        db.session.rollback()
    g.db_write_intent = False


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


def _reads_in_autocommit(connection: Any) -> None:
    """PostgreSQL: a request's connection reads without BEGIN and COMMIT, until writing().

    Applied when the request first connects, not when it starts: a request that never
    reads (the bench's hello, a poll answered from the worker's counter, a static file)
    then never checks a connection out of the pool. A connection the session already holds
    (a test or a command that opened the app context and its transaction first) is not
    connected again, so it keeps its transaction; inside writing() every new connection
    belongs to the writer, even after a ``commit_now()`` there.
    """
    from flask import has_request_context

    if has_request_context() and not g.get("db_write_intent") and not g.get("db_writing_depth"):
        connection.execution_options(isolation_level="AUTOCOMMIT")


def _is_read_only(statement: str) -> bool:
    """Whether SQL text only reads (a SELECT that locks nothing)."""
    head = statement.lstrip()[:6].upper()
    return head == "SELECT" and "FOR UPDATE" not in statement


def install_postgresql_listeners(engine: Engine) -> None:
    """Read in autocommit until writing(); refuse a write made in autocommit mode."""

    event.listen(engine, "engine_connect", _reads_in_autocommit)

    @event.listens_for(engine, "before_cursor_execute")
    def _writes_outside_a_transaction(
        connection: Any, _cursor: Any, statement: str, *_args: Any
    ) -> None:
        """A change outside writing(): an error in tests, a log line in production."""
        if not connection.connection.driver_connection.autocommit or _is_read_only(statement):
            return
        if current_app.testing:
            raise RuntimeError(f"write outside writing(): {statement[:80]}")
        log.error("write outside writing(), committed on its own: %s", statement[:200])


def init_database(app: Flask, busy_response: Callable[[], Any]) -> None:
    """Attach the engine listeners and the one-transaction-per-request hook.

    ``busy_response`` answers a commit that failed (a lock timeout, a full disk): the
    error pages belong to the web layer, which hands the renderer in. Call it last in the factory: its after-request hook then runs first, so a 503 it
    returns still gets the security headers.
    """
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            install_sqlite_listeners(engine, app.config["DB_LOCK_TIMEOUT_MS"])
        elif engine.dialect.name == "postgresql":
            install_postgresql_listeners(engine)

    @app.after_request
    def _finish_unit_of_work(response: Any) -> Any:
        """Commit the request's single transaction, or roll it back on an error status.

        A commit that fails (a lock or a full disk) answers the 503 page: the visitor is
        never told that something was saved when it was not.
        """
        try:
            if response.status_code >= 400:
                # A refusal that wrote nothing has nothing to undo: the session is closed
                # at teardown anyway, which ends its reads (a rush of refusals paid twice).
                if g.get("db_write_intent"):
                    db.session.rollback()
            elif _session_in_transaction():
                db.session.commit()
        except OperationalError as error:
            log.warning("commit failed: %s", error.orig)
            db.session.rollback()
            return busy_response()
        if response.status_code < 400:
            for callback in g.pop("after_commit", []):
                response.call_on_close(callback)
        return response


def _session_in_transaction() -> bool:
    """Whether this app context's session began a transaction (without making a session).

    Most answers that read nothing (a poll's 304, the bench's hello) never made one: a
    commit would only build the session and an empty transaction to end it.
    """
    return db.session.registry.has() and db.session().in_transaction()


@event.listens_for(SASession, "before_flush")
def _writes_need_intent(session: SASession, _context: Any, _instances: Any) -> None:
    """Catch a request's write that did not enter writing() first (SQLite could fail)."""
    from flask import has_request_context

    if not (session.new or session.dirty or session.deleted) or not has_request_context():
        return
    if not g.get("db_write_intent"):
        if current_app.testing:
            raise RuntimeError("write outside writing(): the service must enter the unit of work")
        log.warning("write outside writing(); SQLite may answer 'database is locked'")


def after_commit(callback: Any) -> None:
    """Run ``callback`` after the request's commit, once the reply is sent (``call_on_close``).

    It runs outside the request's app context, so it must push its own. Outside a request
    nothing is scheduled: commands commit, then do their follow-up work themselves (the mail
    commands call ``send_due``).
    """
    from flask import has_request_context

    if has_request_context():
        g.setdefault("after_commit", []).append(callback)
