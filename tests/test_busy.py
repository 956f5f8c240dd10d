"""A locked database gives the French 503 page with Retry-After, never a 500, nothing stored."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, func, select, text

from app.extensions import db
from app.models import Booking

PARTY = {"name": "Jean Moulin", "email": "jean@example.fr", "seats": "1"}


@contextmanager
def writer_holding_the_lock(app, session_id: int):
    """Another connection holds the write lock (SQLite) or the session's row lock (PostgreSQL)."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite"):
        connection = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            connection.execute("ROLLBACK")
            connection.close()
    else:
        engine = create_engine(url, **app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        with engine.connect() as connection:
            connection.execute(
                text("SELECT id FROM event_session WHERE id = :id FOR UPDATE"), {"id": session_id}
            )
            try:
                yield
            finally:
                connection.rollback()
        engine.dispose()


@pytest.mark.app_config(DB_LOCK_TIMEOUT_MS=300)
def test_a_locked_database_answers_503_in_french(app, client, make_session, book_form):
    session_id = make_session(capacity=10)
    fields = book_form(session_id)
    with writer_holding_the_lock(app, session_id):
        response = client.post(f"/sessions/{session_id}", data={**fields, **PARTY})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "rien n’a été enregistré" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Booking)) == 0
    # Once the lock is gone the same form goes through.
    assert client.post(f"/sessions/{session_id}", data={**fields, **PARTY}).status_code == 303


def test_a_commit_that_fails_answers_503_not_500(app, client, make_session, book_form, monkeypatch):
    """The commit happens after the view: its failure must not turn into a 500 or a fake success."""
    import inspect

    from sqlalchemy.exc import OperationalError

    session_id = make_session(capacity=10)
    fields = book_form(session_id)
    real_commit = db.session.commit

    def failing_commit() -> None:
        """Fail only the request's final commit, as a full disk or a lost lock would."""
        if inspect.stack()[1].function == "_finish_unit_of_work":
            raise OperationalError("COMMIT", {}, Exception("disk I/O error"))
        real_commit()

    monkeypatch.setattr(db.session, "commit", failing_commit)
    response = client.post(f"/sessions/{session_id}", data={**fields, **PARTY})
    monkeypatch.undo()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "Content-Security-Policy" in response.headers
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Booking)) == 0
