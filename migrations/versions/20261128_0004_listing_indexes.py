"""indexes for the listing pages, recent changes, entry history and outbox pruning

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 18:30:00

"""
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_entries_status_kind', 'entries', ['status', 'kind'])
    op.create_index('ix_entries_status_edition_id', 'entries', ['status', 'edition_id'])
    op.create_index(op.f('ix_revisions_created_at'), 'revisions', ['created_at'])
    op.create_index(op.f('ix_lineage_decision_log_related_entry_id'), 'lineage_decision_log', ['related_entry_id'])
    op.create_index(op.f('ix_search_outbox_created_at'), 'search_outbox', ['created_at'])


def downgrade():
    op.drop_index(op.f('ix_search_outbox_created_at'), table_name='search_outbox')
    op.drop_index(op.f('ix_lineage_decision_log_related_entry_id'), table_name='lineage_decision_log')
    op.drop_index(op.f('ix_revisions_created_at'), table_name='revisions')
    op.drop_index('ix_entries_status_edition_id', table_name='entries')
    op.drop_index('ix_entries_status_kind', table_name='entries')
