"""Each person chooses to show their name or only their structure (users.is_name_public).

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN (SQLite accepts NOT NULL with a default): batch mode would copy the
    # table, which it cannot do with 0009's expression index.
    op.add_column("users", sa.Column("is_name_public", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade():
    # SQLite copies the table to drop a column and cannot copy 0009's expression index.
    op.drop_index("uq_users_email_lower", table_name="users")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("is_name_public")
    op.create_index("uq_users_email_lower", "users", [sa.text("lower(email)")], unique=True)
