"""reporting: digest_preference (who wants the weekly digest)

Revision ID: 0006_reporting
Revises: 0001_foundation
Create Date: 2026-11-23 15:08:27.212242
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import models.base


revision = '0006_reporting'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('digest_preference',
    sa.Column('official_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('weekly_enabled', sa.Boolean(), nullable=False),
    sa.Column('updated_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['official_id'], ['official.id'], ),
    sa.PrimaryKeyConstraint('official_id')
    )


def downgrade() -> None:
    op.drop_table('digest_preference')
