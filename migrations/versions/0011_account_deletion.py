"""Accounts deleted by their owner (RGPD): the row stays, emptied, so that contributions keep
an attribution ("contributeur ou contributrice anonyme", with the structure if chosen).

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("deleted_at", sa.DateTime(), nullable=True))


def downgrade():
    # SQLite drops a column by copying the table and cannot reflect 0009's expression index to
    # copy it: drop it around the copy and make it again (as 0010 does).
    op.drop_index("uq_users_email_lower", table_name="users")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("deleted_at")
    op.create_index("uq_users_email_lower", "users", [sa.text("lower(email)")], unique=True)
