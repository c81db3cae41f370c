"""The data generation becomes a 64-bit number that follows the clock (pagecache.bump).

Pages kept for anonymous readers are now shared between processes through files that outlive
a process, so a generation must never name two states of the data, even after a restore:
bump() sets it to at least the clock in microseconds, which needs more than 32 bits.

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("data_generation") as batch:  # SQLite copies the one-row table
        batch.alter_column("value", existing_type=sa.Integer(), type_=sa.BigInteger(), existing_nullable=False)


def downgrade():
    # A clock value does not fit 32 bits: start again from 0 (every kept page is then stale
    # for its process's generation, which only costs renders).
    op.execute("UPDATE data_generation SET value = 0")
    with op.batch_alter_table("data_generation") as batch:
        batch.alter_column("value", existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=False)
