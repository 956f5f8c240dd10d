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
    """Apply this revision: ``booking.changes_booking_id``, indexed, pointing to the lead.

    The column is added in place, without rebuilding ``booking``: on SQLite a rebuild drops
    the table, which the check-ins' and door actions' foreign keys refuse once rows exist.
    """
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite adds a column with its reference in place, but not a constraint by name.
        op.execute(
            'ALTER TABLE booking ADD COLUMN changes_booking_id INTEGER '
            'CONSTRAINT fk_booking_changes_booking_id_booking REFERENCES booking (id)'
        )
    else:
        op.add_column('booking', sa.Column('changes_booking_id', sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f('fk_booking_changes_booking_id_booking'), 'booking', 'booking',
            ['changes_booking_id'], ['id'],
        )
    op.create_index(op.f('ix_booking_changes_booking_id'), 'booking', ['changes_booking_id'], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index(op.f('ix_booking_changes_booking_id'), table_name='booking')
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE booking DROP COLUMN changes_booking_id')
    else:
        op.drop_constraint(op.f('fk_booking_changes_booking_id_booking'), 'booking', type_='foreignkey')
        op.drop_column('booking', 'changes_booking_id')
