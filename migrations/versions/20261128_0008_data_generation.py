"""data generation: a number every writing transaction increases (anonymous page cache)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 20:05:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'data_generation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('value', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_data_generation')),
    )
    op.execute("INSERT INTO data_generation (id, value) VALUES (1, 0)")


def downgrade():
    op.drop_table('data_generation')
