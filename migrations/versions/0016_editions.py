"""editions: an event's festival year, the event it was copied from, booking held until opened

Revision ID: 0016_editions
Revises: 0011_plan_changes
Created: 2026-12-01 11:20:00.000000
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = '0016_editions'
down_revision = '0011_plan_changes'
branch_labels = None
depends_on = None

PARIS = ZoneInfo("Europe/Paris")


def upgrade() -> None:
    """Apply this revision; an existing event's edition is the Paris year of its first session."""
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('edition', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('copied_from_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_event_edition'), ['edition'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_copied_from_id'), ['copied_from_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_event_copied_from_id_event'), 'event', ['copied_from_id'], ['id'])
    with op.batch_alter_table('event_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('opening_pending', sa.Boolean(), nullable=False, server_default=sa.false()))

    bind = op.get_bind()
    event = sa.table('event', sa.column('id', sa.Integer()), sa.column('created_at', sa.DateTime()),
                     sa.column('edition', sa.Integer()))
    session = sa.table('event_session', sa.column('event_id', sa.Integer()),
                       sa.column('starts_at', sa.DateTime()))
    first = (
        sa.select(sa.func.min(session.c.starts_at))
        .where(session.c.event_id == event.c.id)
        .scalar_subquery()
    )
    for event_id, first_start, created_at in bind.execute(sa.select(event.c.id, first, event.c.created_at)).all():
        moment = first_start or created_at
        if isinstance(moment, str):  # SQLite hands back text
            moment = datetime.fromisoformat(moment)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        bind.execute(event.update().where(event.c.id == event_id).values(edition=moment.astimezone(PARIS).year))
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.alter_column('edition', existing_type=sa.Integer(), nullable=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('event_session', schema=None) as batch_op:
        batch_op.drop_column('opening_pending')
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_event_copied_from_id_event'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_event_copied_from_id'))
        batch_op.drop_index(batch_op.f('ix_event_edition'))
        batch_op.drop_column('copied_from_id')
        batch_op.drop_column('edition')
