"""entry tallies: counts by edition, kind and status, kept by the writing transaction

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 19:40:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'entry_tallies',
        sa.Column('edition_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['edition_id'], ['editions.id'], name=op.f('fk_entry_tallies_edition_id_editions'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('edition_id', 'kind', 'status', name=op.f('pk_entry_tallies')),
    )
    op.execute("INSERT INTO entry_tallies (edition_id, kind, status, count) "
               "SELECT edition_id, kind, status, count(*) FROM entries GROUP BY edition_id, kind, status")


def downgrade():
    op.drop_table('entry_tallies')
