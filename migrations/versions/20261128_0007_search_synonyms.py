"""search synonyms: the synonym sets admins edit (empty: the shipped defaults apply)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 21:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'search_synonyms',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('expressions', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_search_synonyms')),
    )


def downgrade():
    op.drop_table('search_synonyms')
