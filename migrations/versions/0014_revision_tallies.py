"""The entry tallies also count the revisions of their entries (recent changes counts them).

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("entry_tallies", sa.Column("revisions", sa.Integer(), nullable=False, server_default="0"))
    op.execute(
        "UPDATE entry_tallies SET revisions = (SELECT count(*) FROM revisions JOIN entries ON entries.id = revisions.entry_id"
        " WHERE entries.edition_id = entry_tallies.edition_id AND entries.kind = entry_tallies.kind"
        " AND entries.status = entry_tallies.status)")


def downgrade():
    with op.batch_alter_table("entry_tallies") as batch:
        batch.drop_column("revisions")
