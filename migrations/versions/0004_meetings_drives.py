"""meetings and drives: rakor with invitations and change log, perekaman e-KTP with targets

Revision ID: 0004_meetings_drives
Revises: 0001_foundation
Create Date: 2026-11-23 14:40:57.201875
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import models.base


revision = '0004_meetings_drives'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('meeting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('agenda', sa.Text(), nullable=False),
    sa.Column('region_code', sqlmodel.sql.sqltypes.AutoString(length=13), nullable=False),
    sa.Column('timezone', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('starts_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('venue', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('venue_latitude', sa.Float(), nullable=True),
    sa.Column('venue_longitude', sa.Float(), nullable=True),
    sa.Column('rsvp_deadline', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('minutes_file_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('minutes_file_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('minutes_added_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['official.id'], ),
    sa.ForeignKeyConstraint(['region_code'], ['region.code'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_region_code'), ['region_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_starts_at'), ['starts_at'], unique=False)

    op.create_table('meeting_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('detail', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['official.id'], ),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('meeting_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_change_meeting_id'), ['meeting_id'], unique=False)

    op.create_table('meeting_invite',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('official_id', sa.Integer(), nullable=False),
    sa.Column('rsvp', sa.String(length=12), nullable=False),
    sa.Column('delegate_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('delegate_position', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('answered_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('checked_in_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('checked_in_by_id', sa.Integer(), nullable=True),
    sa.Column('chat_id', sa.BigInteger(), nullable=True),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['checked_in_by_id'], ['official.id'], ),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], ),
    sa.ForeignKeyConstraint(['official_id'], ['official.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('meeting_id', 'official_id', name='uq_meeting_invite_official')
    )
    with op.batch_alter_table('meeting_invite', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_invite_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_invite_official_id'), ['official_id'], unique=False)

    op.create_table('drive',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_code', sqlmodel.sql.sqltypes.AutoString(length=13), nullable=False),
    sa.Column('timezone', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('starts_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('place', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('target_group', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['official.id'], ),
    sa.ForeignKeyConstraint(['region_code'], ['region.code'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('drive', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_drive_region_code'), ['region_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_drive_starts_at'), ['starts_at'], unique=False)

    op.create_table('drive_target',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('drive_id', sa.Integer(), nullable=False),
    sa.Column('region_code', sqlmodel.sql.sqltypes.AutoString(length=13), nullable=False),
    sa.Column('target_count', sa.Integer(), nullable=False),
    sa.Column('realised_count', sa.Integer(), nullable=True),
    sa.Column('reported_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reported_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['drive_id'], ['drive.id'], ),
    sa.ForeignKeyConstraint(['region_code'], ['region.code'], ),
    sa.ForeignKeyConstraint(['reported_by_id'], ['official.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('drive_id', 'region_code', name='uq_drive_target_region')
    )
    with op.batch_alter_table('drive_target', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_drive_target_drive_id'), ['drive_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_drive_target_region_code'), ['region_code'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('drive_target', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_drive_target_region_code'))
        batch_op.drop_index(batch_op.f('ix_drive_target_drive_id'))
    op.drop_table('drive_target')
    with op.batch_alter_table('drive', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_drive_starts_at'))
        batch_op.drop_index(batch_op.f('ix_drive_region_code'))
    op.drop_table('drive')
    with op.batch_alter_table('meeting_invite', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_invite_official_id'))
        batch_op.drop_index(batch_op.f('ix_meeting_invite_meeting_id'))
    op.drop_table('meeting_invite')
    with op.batch_alter_table('meeting_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_change_meeting_id'))
    op.drop_table('meeting_change')
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_starts_at'))
        batch_op.drop_index(batch_op.f('ix_meeting_region_code'))
    op.drop_table('meeting')
