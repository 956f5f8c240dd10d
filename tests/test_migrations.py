"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

import re

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import CheckConstraint, inspect, select

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
