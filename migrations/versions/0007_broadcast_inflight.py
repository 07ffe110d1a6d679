"""broadcasts: broadcast_delivery.send_started_at (a delivery's send is in flight)

Revision ID: 0007_broadcast_inflight
Revises: 0005_broadcasts
Create Date: 2026-11-23 18:05:00.000000
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = '0007_broadcast_inflight'
down_revision = '0005_broadcasts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('broadcast_delivery', schema=None) as batch_op:
        batch_op.add_column(sa.Column('send_started_at', models.base.UTCDateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('broadcast_delivery', schema=None) as batch_op:
        batch_op.drop_column('send_started_at')
