"""plan changes: a waiting row may stand for a change of another booking

Revision ID: 0011_plan_changes
Revises: 0010_checkin_nonces
Created: 2026-12-01 11:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0011_plan_changes'
down_revision = '0010_checkin_nonces'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision: ``booking.changes_booking_id``, indexed, pointing to the lead."""
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.add_column(sa.Column('changes_booking_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_booking_changes_booking_id'), ['changes_booking_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_booking_changes_booking_id_booking'), 'booking', ['changes_booking_id'], ['id'])


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_booking_changes_booking_id_booking'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_booking_changes_booking_id'))
        batch_op.drop_column('changes_booking_id')
