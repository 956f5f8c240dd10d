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
    """Apply this revision; an existing event's edition is the Paris year of its first session.

    Columns are added in place, without rebuilding ``event``: on SQLite a rebuild drops
    the table, which the sessions' and specimens' foreign keys refuse once rows exist.
    """
    op.add_column('event', sa.Column('edition', sa.Integer(), nullable=False, server_default='0'))
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite adds a column with its reference in place, but not a constraint by name.
        op.execute(
            'ALTER TABLE event ADD COLUMN copied_from_id INTEGER '
            'CONSTRAINT fk_event_copied_from_id_event REFERENCES event (id)'
        )
    else:
        op.add_column('event', sa.Column('copied_from_id', sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f('fk_event_copied_from_id_event'), 'event', 'event', ['copied_from_id'], ['id']
        )
    op.create_index(op.f('ix_event_edition'), 'event', ['edition'], unique=False)
    op.create_index(op.f('ix_event_copied_from_id'), 'event', ['copied_from_id'], unique=False)
    op.add_column(
        'event_session',
        sa.Column('opening_pending', sa.Boolean(), nullable=False, server_default=sa.false()),
    )

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
    if bind.dialect.name == 'postgresql':  # the ORM gives every new event its edition
        op.alter_column('event', 'edition', server_default=None)


def downgrade() -> None:
    """Revert this revision (on SQLite the rebuilt table drops the reference with its column)."""
    op.drop_index(op.f('ix_event_copied_from_id'), table_name='event')
    op.drop_index(op.f('ix_event_edition'), table_name='event')
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint(op.f('fk_event_copied_from_id_event'), 'event', type_='foreignkey')
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('copied_from_id')
        batch_op.drop_column('edition')
    with op.batch_alter_table('event_session', schema=None) as batch_op:
        batch_op.drop_column('opening_pending')
