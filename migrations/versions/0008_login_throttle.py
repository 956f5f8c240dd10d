"""login throttle: failures counted per address and per (address, client), no lock-out

Revision ID: 0008_login_throttle
Revises: 0007_privacy
Created: 2026-12-01 08:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import app.models.types


revision = '0008_login_throttle'
down_revision = '0007_privacy'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision: a table of failure counters; accounts lose their own counter."""
    op.create_table(
        'login_throttle',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('last_failed_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_login_throttle')),
    )
    with op.batch_alter_table('login_throttle', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_login_throttle_last_failed_at'), ['last_failed_at'], unique=False
        )
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.drop_column('locked_until')
        batch_op.drop_column('last_failed_at')
        batch_op.drop_column('failed_logins')


def downgrade() -> None:
    """Revert this revision (the counts start again from zero)."""
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('failed_logins', sa.Integer(), nullable=False, server_default='0')
        )
        batch_op.add_column(
            sa.Column('last_failed_at', app.models.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column('locked_until', app.models.types.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table('login_throttle', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_throttle_last_failed_at'))
    op.drop_table('login_throttle')
