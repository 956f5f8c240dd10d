"""waiting lists and mail outbox

Revision ID: f0c45adfea2a
Revises: 556f5611f306
Created: 2026-11-22 08:07:17.585655
"""

import sqlalchemy as sa
from alembic import op

import app.models.types


revision = 'f0c45adfea2a'
down_revision = '556f5611f306'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision.

    Existing rows get server defaults: an upgrade must work on a database full of bookings.
    """
    op.create_table('outbox_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('dedupe_key', sa.String(length=120), nullable=True),
    sa.Column('booking_id', sa.Integer(), nullable=True),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('attachments', sa.JSON(), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('status', sa.Enum('pending', 'sending', 'sent', 'failed', name='outboxstatus', native_enum=False, length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', app.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('created_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', app.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['booking_id'], ['booking.id'], name=op.f('fk_outbox_message_booking_id_booking')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_message')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_outbox_message_dedupe_key'))
    )
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_message_booking_id'), ['booking_id'], unique=False)
        batch_op.create_index('ix_outbox_message_status_next_attempt_at', ['status', 'next_attempt_at'], unique=False)

    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.add_column(sa.Column('priority', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('priority_reason', sa.String(length=300), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('passed_over', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('offered_at', app.models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('offer_expires_at', app.models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('ended_reason', sa.String(length=30), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('reminder_sent_at', app.models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_booking_status_offer_expires_at', ['status', 'offer_expires_at'], unique=False)

    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('waitlist_auto', sa.Boolean(), nullable=False, server_default=sa.true()))

    with op.batch_alter_table('event_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seats_waiting', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_check_constraint(op.f('ck_event_session_seats_waiting_not_negative'), 'seats_waiting >= 0')



def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('event_session', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_event_session_seats_waiting_not_negative'), type_='check')
        batch_op.drop_column('seats_waiting')

    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('waitlist_auto')

    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.drop_index('ix_booking_status_offer_expires_at')
        batch_op.drop_column('reminder_sent_at')
        batch_op.drop_column('ended_reason')
        batch_op.drop_column('offer_expires_at')
        batch_op.drop_column('offered_at')
        batch_op.drop_column('passed_over')
        batch_op.drop_column('priority_reason')
        batch_op.drop_column('priority')

    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_message_status_next_attempt_at')
        batch_op.drop_index(batch_op.f('ix_outbox_message_booking_id'))

    op.drop_table('outbox_message')
