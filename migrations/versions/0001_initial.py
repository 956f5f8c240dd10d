"""programme, bookings, live counter, audit

Revision ID: 556f5611f306
Revises: 
Created: 2026-11-22 07:53:26.715958
"""

import sqlalchemy as sa
from alembic import op

import app.models.types

revision = '556f5611f306'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('audit_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=254), nullable=False),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('booking_id', sa.Integer(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entry'))
    )
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entry_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_session_id'), ['session_id'], unique=False)

    change_counter = op.create_table('change_counter',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_change_counter'))
    )
    # The live seat counts' ETag reads this row; seat changes only ever UPDATE it.
    op.bulk_insert(change_counter, [{'name': 'seats', 'value': 0}])
    op.create_table('venue',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('city', sa.String(length=100), nullable=False),
    sa.Column('step_free', sa.Boolean(), nullable=False),
    sa.Column('access_notes', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_venue'))
    )
    op.create_table('event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.Enum('visit', 'film', 'conference', 'hike', 'pro_day', name='eventkind', native_enum=False, length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('speakers', sa.String(length=300), nullable=False),
    sa.Column('organisers', sa.String(length=300), nullable=False),
    sa.Column('venue_id', sa.Integer(), nullable=False),
    sa.Column('accessibility_notes', sa.Text(), nullable=False),
    sa.Column('distance_km', sa.Float(), nullable=True),
    sa.Column('difficulty', sa.String(length=50), nullable=False),
    sa.Column('created_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['venue_id'], ['venue.id'], name=op.f('fk_event_venue_id_venue')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event')),
    sa.UniqueConstraint('slug', name=op.f('uq_event_slug'))
    )
    op.create_table('event_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('seats_taken', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('booking_opens_at', app.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('booking_closes_at', app.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', app.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('created_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('capacity >= 0', name=op.f('ck_event_session_capacity_not_negative')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_event_session_ends_after_start')),
    sa.CheckConstraint('seats_taken <= capacity', name=op.f('ck_event_session_no_oversell')),
    sa.CheckConstraint('seats_taken >= 0', name=op.f('ck_event_session_seats_taken_not_negative')),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_event_session_event_id_event')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_session'))
    )
    with op.batch_alter_table('event_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_session_event_id'), ['event_id'], unique=False)
        batch_op.create_index('ix_event_session_starts_at', ['starts_at'], unique=False)

    op.create_table('booking',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('ticket_code', sa.String(length=16), nullable=False),
    sa.Column('request_nonce', sa.String(length=64), nullable=True),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('seats', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('confirmed', 'waiting', 'offered', 'cancelled', name='bookingstatus', native_enum=False, length=20), nullable=False),
    sa.Column('accessibility_needs', sa.Text(), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('created_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', app.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('seats >= 1', name=op.f('ck_booking_at_least_one_seat')),
    sa.ForeignKeyConstraint(['session_id'], ['event_session.id'], name=op.f('fk_booking_session_id_event_session')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking')),
    sa.UniqueConstraint('request_nonce', name=op.f('uq_booking_request_nonce')),
    sa.UniqueConstraint('ticket_code', name=op.f('uq_booking_ticket_code')),
    sa.UniqueConstraint('token', name=op.f('uq_booking_token'))
    )
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.create_index('ix_booking_session_status', ['session_id', 'status'], unique=False)



def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.drop_index('ix_booking_session_status')

    op.drop_table('booking')
    with op.batch_alter_table('event_session', schema=None) as batch_op:
        batch_op.drop_index('ix_event_session_starts_at')
        batch_op.drop_index(batch_op.f('ix_event_session_event_id'))

    op.drop_table('event_session')
    op.drop_table('event')
    op.drop_table('venue')
    op.drop_table('change_counter')
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entry_session_id'))
        batch_op.drop_index(batch_op.f('ix_audit_entry_at'))

    op.drop_table('audit_entry')
