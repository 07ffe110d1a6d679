"""incidents: reports, their media, status history, info requests and ticket counter

Revision ID: 0002_incidents
Revises: 0001_foundation
Create Date: 2026-11-23 14:40:39.901397
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import models.base


revision = '0002_incidents'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('incident_ticket_counter',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year')
    )
    op.create_table('incident',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('urgency', sa.String(length=10), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('occurred_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('region_code', sqlmodel.sql.sqltypes.AutoString(length=13), nullable=False),
    sa.Column('reporter_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['region_code'], ['region.code'], ),
    sa.ForeignKeyConstraint(['reporter_id'], ['official.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('ticket')
    )
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_incident_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_incident_region_created', ['region_code', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_incident_reporter_id'), ['reporter_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_incident_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_incident_urgency'), ['urgency'], unique=False)

    op.create_table('incident_info_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('question', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('asked_by_id', sa.Integer(), nullable=False),
    sa.Column('asked_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['asked_by_id'], ['official.id'], ),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('incident_info_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_info_request_incident_id'), ['incident_id'], unique=False)

    op.create_table('incident_media',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('file_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('file_unique_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('local_path', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('file_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('incident_media', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_media_incident_id'), ['incident_id'], unique=False)

    op.create_table('incident_status_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['official.id'], ),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('incident_status_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_status_change_incident_id'), ['incident_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('incident_status_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_status_change_incident_id'))
    op.drop_table('incident_status_change')
    with op.batch_alter_table('incident_media', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_media_incident_id'))
    op.drop_table('incident_media')
    with op.batch_alter_table('incident_info_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_info_request_incident_id'))
    op.drop_table('incident_info_request')
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_urgency'))
        batch_op.drop_index(batch_op.f('ix_incident_status'))
        batch_op.drop_index(batch_op.f('ix_incident_reporter_id'))
        batch_op.drop_index('ix_incident_region_created')
        batch_op.drop_index(batch_op.f('ix_incident_created_at'))
        batch_op.drop_index(batch_op.f('ix_incident_category'))
    op.drop_table('incident')
    op.drop_table('incident_ticket_counter')
