"""specimens of the geology collection and their pictures

Revision ID: 0006_specimens
Revises: 15e2c41a3498
Created: 2026-11-23 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import app.models.types


revision = '0006_specimens'
down_revision = '15e2c41a3498'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision: the collection's specimens, linked to the event that shows them."""
    op.create_table('specimen',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('inventory_number', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('category', sa.Enum('mineral', 'ore', 'rock', 'fossil', name='specimencategory', native_enum=False, length=20), nullable=False),
    sa.Column('formula', sa.String(length=100), nullable=False),
    sa.Column('locality', sa.String(length=200), nullable=False),
    sa.Column('region', sa.String(length=100), nullable=False),
    sa.Column('age', sa.String(length=120), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('on_display', sa.Boolean(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('created_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_specimen_event_id_event')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_specimen')),
    sa.UniqueConstraint('inventory_number', name=op.f('uq_specimen_inventory_number'))
    )
    with op.batch_alter_table('specimen', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_specimen_event_id'), ['event_id'], unique=False)

    op.create_table('specimen_image',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('specimen_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('alt_text', sa.String(length=300), nullable=False),
    sa.Column('digest', sa.String(length=16), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('thumb_width', sa.Integer(), nullable=False),
    sa.Column('thumb_height', sa.Integer(), nullable=False),
    sa.Column('large_width', sa.Integer(), nullable=False),
    sa.Column('large_height', sa.Integer(), nullable=False),
    sa.Column('thumb', sa.LargeBinary(), nullable=False),
    sa.Column('large', sa.LargeBinary(), nullable=False),
    sa.Column('original', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("alt_text <> ''", name=op.f('ck_specimen_image_alt_text_required')),
    sa.ForeignKeyConstraint(['specimen_id'], ['specimen.id'], name=op.f('fk_specimen_image_specimen_id_specimen')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_specimen_image'))
    )
    with op.batch_alter_table('specimen_image', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_specimen_image_specimen_id'), ['specimen_id'], unique=False)



def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('specimen_image', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_specimen_image_specimen_id'))

    op.drop_table('specimen_image')
    with op.batch_alter_table('specimen', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_specimen_event_id'))

    op.drop_table('specimen')
