"""standby rank: the door's standby queue counts how often a party was passed over

Revision ID: 0014_standby_rank
Revises: 0016_editions
Created: 2026-12-01 11:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0014_standby_rank'
down_revision = '0016_editions'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision: ``standby_entry.passed_over`` (0 for the entries already there)."""
    with op.batch_alter_table('standby_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('passed_over', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('standby_entry', schema=None) as batch_op:
        batch_op.drop_column('passed_over')
