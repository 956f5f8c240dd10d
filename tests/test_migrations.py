"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

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
