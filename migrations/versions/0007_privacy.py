"""privacy: when a booking's personal details were anonymised

Revision ID: 0007_privacy
Revises: 0006_specimens
Created: 2026-11-23 12:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import app.models.types


revision = '0007_privacy'
down_revision = '0006_specimens'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision: bookings record when their people's details were erased."""
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'personal_data_purged_at',
                app.models.types.UTCDateTime(timezone=True),
                nullable=True,
            )
        )


def downgrade() -> None:
    """Revert this revision (the details already erased stay erased)."""
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.drop_column('personal_data_purged_at')
