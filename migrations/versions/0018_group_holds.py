"""group holds: seats of a session held for a group behind a code, until a release time

Revision ID: 0018_group_holds
Revises: 0017_mail_texts
Created: 2026-12-01 14:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

import app.models.types

revision = '0018_group_holds'
down_revision = '0017_mail_texts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision: the ``group_hold`` table, and the booking's link to its hold.

    The booking's columns are added in place, without rebuilding ``booking``: on SQLite a
    rebuild drops the table, which the check-ins' and door actions' foreign keys refuse.
    """
    op.create_table('group_hold',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('seats', sa.Integer(), nullable=False),
    sa.Column('seats_used', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=120), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('release_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=254), nullable=False),
    sa.Column('created_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('released_at', app.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('seats >= 1', name=op.f('ck_group_hold_holds_a_seat')),
    sa.CheckConstraint('seats_used >= 0 AND seats_used <= seats', name=op.f('ck_group_hold_used_within_held')),
    sa.ForeignKeyConstraint(['session_id'], ['event_session.id'], name=op.f('fk_group_hold_session_id_event_session')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_hold')),
    sa.UniqueConstraint('code', name=op.f('uq_group_hold_code')),
    )
    op.create_index(op.f('ix_group_hold_session_id'), 'group_hold', ['session_id'], unique=False)
    op.create_index('ix_group_hold_release', 'group_hold', ['released_at', 'release_at'], unique=False)
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite adds a column with its reference in place, but not a constraint by name.
        op.execute(
            'ALTER TABLE booking ADD COLUMN group_hold_id INTEGER '
            'CONSTRAINT fk_booking_group_hold_id_group_hold REFERENCES group_hold (id)'
        )
    else:
        op.add_column('booking', sa.Column('group_hold_id', sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f('fk_booking_group_hold_id_group_hold'), 'booking', 'group_hold',
            ['group_hold_id'], ['id'],
        )
    op.add_column('booking', sa.Column('adults', sa.Integer(), nullable=False, server_default='0'))
    op.create_index(op.f('ix_booking_group_hold_id'), 'booking', ['group_hold_id'], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index(op.f('ix_booking_group_hold_id'), table_name='booking')
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE booking DROP COLUMN adults')
        op.execute('ALTER TABLE booking DROP COLUMN group_hold_id')
    else:
        op.drop_column('booking', 'adults')
        op.drop_constraint(op.f('fk_booking_group_hold_id_group_hold'), 'booking', type_='foreignkey')
        op.drop_column('booking', 'group_hold_id')
    op.drop_index('ix_group_hold_release', table_name='group_hold')
    op.drop_index(op.f('ix_group_hold_session_id'), table_name='group_hold')
    op.drop_table('group_hold')
