"""door actions: what each tablet nonce was used for

Revision ID: 0010_checkin_nonces
Revises: 0009_outbox_claims
Created: 2026-12-01 08:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import app.models.types

revision = '0010_checkin_nonces'
down_revision = '0009_outbox_claims'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision: one row per nonce, with the action it was used for.

    The nonces already stored on check-ins and standby entries are copied, so a tablet
    retrying an action sent just before the upgrade is still recognised.
    """
    op.create_table('door_action',
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=True),
    sa.Column('seats', sa.Integer(), nullable=True),
    sa.Column('check_in_id', sa.Integer(), nullable=True),
    sa.Column('standby_entry_id', sa.Integer(), nullable=True),
    sa.Column('at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['booking_id'], ['booking.id'], name=op.f('fk_door_action_booking_id_booking')),
    sa.ForeignKeyConstraint(['check_in_id'], ['check_in.id'], name=op.f('fk_door_action_check_in_id_check_in')),
    sa.ForeignKeyConstraint(['session_id'], ['event_session.id'], name=op.f('fk_door_action_session_id_event_session')),
    sa.ForeignKeyConstraint(['standby_entry_id'], ['standby_entry.id'], name=op.f('fk_door_action_standby_entry_id_standby_entry')),
    sa.PrimaryKeyConstraint('nonce', name=op.f('pk_door_action'))
    )
    op.execute(
        "INSERT INTO door_action (nonce, session_id, kind, booking_id, seats, check_in_id, at) "
        "SELECT c.nonce, c.session_id, "
        "CASE WHEN b.source = 'walkin' THEN 'walk_in' ELSE 'check_in' END, "
        "c.booking_id, CASE WHEN b.source = 'walkin' THEN c.seats END, c.id, c.at "
        "FROM check_in c JOIN booking b ON b.id = c.booking_id WHERE c.nonce IS NOT NULL"
    )
    op.execute(
        "INSERT INTO door_action (nonce, session_id, kind, seats, standby_entry_id, at) "
        "SELECT s.nonce, s.session_id, 'standby', s.seats, s.id, s.arrived_at "
        "FROM standby_entry s WHERE s.nonce IS NOT NULL "
        "AND s.nonce NOT IN (SELECT nonce FROM door_action)"
    )


def downgrade() -> None:
    """Revert this revision (check-ins and standby entries keep their own nonces)."""
    op.drop_table('door_action')
