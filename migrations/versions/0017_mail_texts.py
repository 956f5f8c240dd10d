"""mail texts: the organisers' own words per mail kind, reminder rules, practical details

Revision ID: 0017_mail_texts
Revises: 0014_standby_rank
Created: 2026-12-01 11:45:00.000000
"""

import sqlalchemy as sa
from alembic import op

import app.models.types

revision = '0017_mail_texts'
down_revision = '0014_standby_rank'
branch_labels = None
depends_on = None

PRACTICAL = ('meeting_point', 'meeting_point_en', 'what_to_bring', 'what_to_bring_en',
             'access_info', 'access_info_en')


def upgrade() -> None:
    """Apply this revision: three tables and the event's practical details."""
    op.create_table('mail_text',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('subject_fr', sa.String(length=300), nullable=False),
    sa.Column('body_fr', sa.Text(), nullable=False),
    sa.Column('subject_en', sa.String(length=300), nullable=False),
    sa.Column('body_en', sa.Text(), nullable=False),
    sa.Column('updated_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=254), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_mail_text_event_id_event')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_text')),
    sa.UniqueConstraint('kind', 'event_id', name='uq_mail_text_kind_event'),
    )
    op.create_index(op.f('ix_mail_text_event_id'), 'mail_text', ['event_id'], unique=False)
    op.create_table('reminder_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('minutes_before', sa.Integer(), nullable=False),
    sa.Column('created_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=254), nullable=False),
    sa.CheckConstraint('minutes_before > 0', name=op.f('ck_reminder_rule_reminder_before_start')),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_reminder_rule_event_id_event')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_rule')),
    sa.UniqueConstraint('event_id', 'minutes_before', name='uq_reminder_rule_event_delay'),
    )
    op.create_index(op.f('ix_reminder_rule_event_id'), 'reminder_rule', ['event_id'], unique=False)
    op.create_table('sent_reminder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('queued_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['booking_id'], ['booking.id'], name=op.f('fk_sent_reminder_booking_id_booking')),
    sa.ForeignKeyConstraint(['rule_id'], ['reminder_rule.id'], name=op.f('fk_sent_reminder_rule_id_reminder_rule'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['event_session.id'], name=op.f('fk_sent_reminder_session_id_event_session')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sent_reminder')),
    sa.UniqueConstraint('booking_id', 'rule_id', name='uq_sent_reminder_booking_rule'),
    )
    op.create_index(op.f('ix_sent_reminder_booking_id'), 'sent_reminder', ['booking_id'], unique=False)
    op.create_index('ix_sent_reminder_rule_id', 'sent_reminder', ['rule_id'], unique=False)
    with op.batch_alter_table('event', schema=None) as batch_op:
        for name in PRACTICAL:
            batch_op.add_column(sa.Column(name, sa.Text(), nullable=False, server_default=''))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('event', schema=None) as batch_op:
        for name in reversed(PRACTICAL):
            batch_op.drop_column(name)
    op.drop_index('ix_sent_reminder_rule_id', table_name='sent_reminder')
    op.drop_index(op.f('ix_sent_reminder_booking_id'), table_name='sent_reminder')
    op.drop_table('sent_reminder')
    op.drop_index(op.f('ix_reminder_rule_event_id'), table_name='reminder_rule')
    op.drop_table('reminder_rule')
    op.drop_index(op.f('ix_mail_text_event_id'), table_name='mail_text')
    op.drop_table('mail_text')
