"""follow-up version: a stale follow-up form is a conflict, not a silent overwrite

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 17:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('lineage_action_followups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('lineage_action_followups', schema=None) as batch_op:
        batch_op.drop_column('version')
