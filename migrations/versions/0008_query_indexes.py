"""query indexes: the recap and the report lists at a million reports

Revision ID: 0008_query_indexes
Revises: 0002_incidents
Create Date: 2026-11-23 18:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0008_query_indexes'
down_revision = '0002_incidents'
branch_labels = None
depends_on = '0003_complaints'

# name → (table, columns); the models declare the same in their __table_args__
INDEXES = {
    # the recap's grouped counts and period lists, read from the index alone
    'ix_incident_created_cover': (
        'incident', ['created_at', 'region_code', 'category', 'urgency', 'status',
                     'reporter_id']),
    # the recap's GROUP BY kecamatan × category × urgency × status in index order: SQLite
    # skip-scans the few thousand groups for the period instead of sorting ~80,000 rows
    'ix_incident_kecamatan_cover': (
        'incident', [sa.text('substr(region_code, 1, 8)'), 'category', 'urgency', 'status',
                     'created_at', 'region_code']),
    # an area's reports of one category, newest first
    'ix_incident_region_category': ('incident', ['region_code', 'category', 'created_at']),
    # open emergencies, which lists show first
    'ix_incident_urgency_status': ('incident', ['urgency', 'status', 'created_at']),
    # the recap's complaint figures, read from the index alone
    'ix_complaint_received_cover': (
        'complaint', ['received_at', 'region_code', 'category', 'status', 'due_at',
                      'closed_at']),
}


def upgrade() -> None:
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, (table, _) in reversed(INDEXES.items()):
        op.drop_index(name, table_name=table)
