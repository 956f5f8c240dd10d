"""staff accounts and check-in counts

Revision ID: 90a6f7140623
Revises: f0c45adfea2a
Created: 2026-11-22 08:34:10.485682
"""

import sqlalchemy as sa
from alembic import op

import app.models.types


revision = '90a6f7140623'
down_revision = 'f0c45adfea2a'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('staff_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('role', sa.Enum('admin', 'organiser', 'checkin', name='role', native_enum=False, length=20), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('last_failed_at', app.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('locked_until', app.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_login_at', app.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_user')),
    sa.UniqueConstraint('email', name=op.f('uq_staff_user_email'))
    )
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checked_in_seats', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.drop_column('checked_in_seats')
    op.drop_table('staff_user')
