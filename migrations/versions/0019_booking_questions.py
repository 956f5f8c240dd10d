"""booking questions: an event's own questions on the booking forms, and the answers

Revision ID: 0019_booking_questions
Revises: 0017_mail_texts
Created: 2026-12-01 14:05:00.000000
"""

import sqlalchemy as sa
from alembic import op

import app.models.types

revision = '0019_booking_questions'
down_revision = '0017_mail_texts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision: two new tables, nothing rebuilt."""
    op.create_table('booking_question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('text', 'choice', 'yes_no', name='questionkind', native_enum=False, length=20), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('label_fr', sa.String(length=200), nullable=False),
    sa.Column('label_en', sa.String(length=200), nullable=False),
    sa.Column('choices_fr', sa.Text(), nullable=False),
    sa.Column('choices_en', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('removed_at', app.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=254), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_booking_question_event_id_event')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_question')),
    )
    op.create_index(op.f('ix_booking_question_event_id'), 'booking_question', ['event_id'], unique=False)
    op.create_table('booking_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['booking_id'], ['booking.id'], name=op.f('fk_booking_answer_booking_id_booking')),
    sa.ForeignKeyConstraint(['question_id'], ['booking_question.id'], name=op.f('fk_booking_answer_question_id_booking_question')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_answer')),
    sa.UniqueConstraint('booking_id', 'question_id', name='uq_booking_answer_booking_question'),
    )
    op.create_index(op.f('ix_booking_answer_booking_id'), 'booking_answer', ['booking_id'], unique=False)
    op.create_index(op.f('ix_booking_answer_question_id'), 'booking_answer', ['question_id'], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index(op.f('ix_booking_answer_question_id'), table_name='booking_answer')
    op.drop_index(op.f('ix_booking_answer_booking_id'), table_name='booking_answer')
    op.drop_table('booking_answer')
    op.drop_index(op.f('ix_booking_question_event_id'), table_name='booking_question')
    op.drop_table('booking_question')
