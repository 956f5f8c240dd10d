"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import flask_migrate
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import CheckConstraint, MetaData, inspect, select

from app import create_app
from app.extensions import db
from app.models import SEATS_COUNTER, ChangeCounter


def test_models_and_migrations_agree(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_the_live_counter_row_exists_after_upgrade(app):
    with app.app_context():
        assert (
            db.session.scalar(
                select(ChangeCounter.value).where(ChangeCounter.name == SEATS_COUNTER)
            )
            == 0
        )


def normalised_check(sql: str) -> str:
    """A CHECK expression in one spelling for both databases.

    PostgreSQL gives back its own rendering of the expression (``alt_text::text <> ''::text``,
    extra parentheses); SQLite gives back the text of its CREATE TABLE. Casts, parentheses,
    quotes, case and spacing carry no meaning for the constraints of this schema.
    """
    text = sql.lower()
    text = re.sub(r"::\s*(character varying|timestamp with(out)? time zone|[a-z_]+)", "", text)
    text = re.sub(r'[()"]', "", text)
    return " ".join(text.split())


def model_checks() -> dict[tuple[str, str], str]:
    """(table, constraint name) → normalised expression, for every CHECK the models declare."""
    checks = {}
    for table in db.metadata.sorted_tables:
        for constraint in table.constraints:
            if isinstance(constraint, CheckConstraint):
                assert constraint.name, f"{table.name}: every CHECK needs a name to be migrated"
                checks[(table.name, str(constraint.name))] = normalised_check(
                    str(constraint.sqltext)
                )
    return checks


def test_models_and_migrations_have_the_same_check_constraints(app):
    # compare_metadata above does not look at CHECK constraints: a migration that lost
    # ``no_oversell`` would pass it while the database accepted an oversold session.
    declared = model_checks()
    assert ("event_session", "ck_event_session_no_oversell") in declared
    with app.app_context():
        inspector = inspect(db.engine)
        live = {
            (table, check["name"]): normalised_check(check["sqltext"])
            for table in inspector.get_table_names()
            for check in inspector.get_check_constraints(table)
        }
    assert live == declared


# The last revision whose schema every later one must upgrade with rows in every table.
POPULATED_FROM = "0010_checkin_nonces"


def filler(column: Any, ids: dict[str, int]) -> Any:
    """A value a NOT NULL column of the old schema accepts (every table holds row id 1)."""
    if column.foreign_keys:
        return 1
    name, kind = column.name, str(column.type).upper()
    if "INT" in kind or "NUMERIC" in kind:
        return 1
    if "BLOB" in kind or "BINARY" in kind:
        return b"\x00"
    if "BOOL" in kind:
        return False
    if "DATE" in kind or "TIME" in kind:
        return datetime(2026, 5, 1, 11 if name.startswith("ends") else 10)
    return f"{name}-{ids.setdefault(name, len(ids))}"


def test_every_migration_upgrades_a_database_with_rows_in_every_table(tmp_path):
    # A real week's database has bookings that check-ins and door actions point to: a
    # migration that rebuilds a referenced table passes on an empty test database and
    # fails on the school's (SQLite refuses to drop a table that rows still point to).
    config = {
        "SECRET_KEY": "test",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.sqlite3'}",
        "TESTING": True,
    }
    application = create_app(config)
    with application.app_context():
        flask_migrate.upgrade(revision=POPULATED_FROM)
        old = MetaData()
        old.reflect(db.engine)
        with db.engine.begin() as connection:
            for table in old.sorted_tables:
                if table.name in ("alembic_version", "change_counter"):
                    continue
                row = {
                    column.name: filler(column, {})
                    for column in table.columns
                    if not column.nullable or column.primary_key
                }
                connection.execute(table.insert().values(row))
        counts = {t.name: _count(t.name) for t in old.sorted_tables}
        flask_migrate.upgrade()
        assert {name: _count(name) for name in counts} == counts
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        db.engine.dispose()


def _count(table: str) -> int:
    with db.engine.connect() as connection:
        return connection.exec_driver_sql(f'SELECT count(*) FROM "{table}"').scalar_one()
