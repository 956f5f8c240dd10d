"""check-in and door standby

Revision ID: 5288688055b0
Revises: 90a6f7140623
Created: 2026-11-22 08:49:16.772835
"""

import sqlalchemy as sa
from alembic import op

import app.models.types


revision = '5288688055b0'
down_revision = '90a6f7140623'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('check_in',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('seats', sa.Integer(), nullable=False),
    sa.Column('at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('by', sa.String(length=254), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=True),
    sa.Column('undone_at', app.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('undone_by', sa.String(length=254), nullable=False),
    sa.ForeignKeyConstraint(['booking_id'], ['booking.id'], name=op.f('fk_check_in_booking_id_booking')),
    sa.ForeignKeyConstraint(['session_id'], ['event_session.id'], name=op.f('fk_check_in_session_id_event_session')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_check_in')),
    sa.UniqueConstraint('nonce', name=op.f('uq_check_in_nonce'))
    )
    with op.batch_alter_table('check_in', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_check_in_booking_id'), ['booking_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_check_in_session_id'), ['session_id'], unique=False)

    op.create_table('standby_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('seats', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('waiting', 'admitted', 'gone', name='standbystatus', native_enum=False, length=20), nullable=False),
    sa.Column('arrived_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('added_by', sa.String(length=254), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=True),
    sa.Column('nonce', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['booking_id'], ['booking.id'], name=op.f('fk_standby_entry_booking_id_booking')),
    sa.ForeignKeyConstraint(['session_id'], ['event_session.id'], name=op.f('fk_standby_entry_session_id_event_session')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_standby_entry')),
    sa.UniqueConstraint('nonce', name=op.f('uq_standby_entry_nonce'))
    )
    with op.batch_alter_table('standby_entry', schema=None) as batch_op:
        batch_op.create_index('ix_standby_entry_session_status', ['session_id', 'status'], unique=False)



def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('standby_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_standby_entry_session_status')

    op.drop_table('standby_entry')
    with op.batch_alter_table('check_in', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_check_in_session_id'))
        batch_op.drop_index(batch_op.f('ix_check_in_booking_id'))

    op.drop_table('check_in')
