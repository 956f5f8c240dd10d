"""outbox claims: each claim has its own token; reminders keyed by booking and session

Revision ID: 0009_outbox_claims
Revises: 0008_login_throttle
Created: 2026-11-30 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0009_outbox_claims'
down_revision = '0008_login_throttle'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision: a claim token per claim; reminder keys name their session."""
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claim_token', sa.String(length=32), nullable=True))
    # A reminder already written under the old key (the booking alone) was for the
    # booking's current session as long as the booking was not moved since (a move clears
    # reminder_sent_at): give it the new key, so a move back does not remind twice.
    op.execute(
        "UPDATE outbox_message SET dedupe_key = 'reminder:' || CAST(booking_id AS VARCHAR(20))"
        " || ':' || (SELECT CAST(booking.session_id AS VARCHAR(20)) FROM booking"
        " WHERE booking.id = outbox_message.booking_id)"
        " WHERE kind = 'reminder' AND booking_id IS NOT NULL"
        " AND dedupe_key = 'reminder:' || CAST(booking_id AS VARCHAR(20))"
        " AND EXISTS (SELECT 1 FROM booking WHERE booking.id = outbox_message.booking_id"
        " AND booking.reminder_sent_at IS NOT NULL)"
    )


def downgrade() -> None:
    """Revert this revision (reminder keys keep their session part: still unique)."""
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('claim_token')
