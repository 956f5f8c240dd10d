"""outbox renders at send time

Revision ID: 15e2c41a3498
Revises: 5288688055b0
Created: 2026-11-22 09:20:20.872055
"""

import sqlalchemy as sa
from alembic import op

import app.models.types


revision = '15e2c41a3498'
down_revision = '5288688055b0'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision: the outbox renders a message when it first sends it."""
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('context', sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
        batch_op.add_column(sa.Column('rendered_at', app.models.types.UTCDateTime(timezone=True), nullable=True))
    # Rows written before this revision were rendered when they were queued.
    op.execute("UPDATE outbox_message SET rendered_at = created_at")



def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('rendered_at')
        batch_op.drop_column('context')

