"""Workshop syntheses: one draft per workshop and the immutable versions published from it.

Revision ID: 0016
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'syntheses',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('workshop_id', sa.Integer(), nullable=False),
        sa.Column('intro', sa.Text(), nullable=False),
        sa.Column('intro_html', sa.Text(), nullable=False),
        sa.Column('conclusion', sa.Text(), nullable=False),
        sa.Column('conclusion_html', sa.Text(), nullable=False),
        sa.Column('arrangement', sa.JSON(), nullable=True),
        sa.Column('draft_number', sa.Integer(), server_default='0', nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['workshop_id'], ['workshops.id'], name=op.f('fk_syntheses_workshop_id_workshops'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_syntheses_updated_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_syntheses')),
        sa.UniqueConstraint('workshop_id', name=op.f('uq_syntheses_workshop_id')),
    )
    op.create_table(
        'synthesis_versions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('synthesis_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('published_at', sa.DateTime(), nullable=False),
        sa.Column('published_by_id', sa.Integer(), nullable=True),
        sa.Column('intro', sa.Text(), nullable=False),
        sa.Column('intro_html', sa.Text(), nullable=False),
        sa.Column('conclusion', sa.Text(), nullable=False),
        sa.Column('conclusion_html', sa.Text(), nullable=False),
        sa.Column('content', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['synthesis_id'], ['syntheses.id'],
                                name=op.f('fk_synthesis_versions_synthesis_id_syntheses'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['published_by_id'], ['users.id'],
                                name=op.f('fk_synthesis_versions_published_by_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_synthesis_versions')),
        sa.UniqueConstraint('synthesis_id', 'number', name='uq_synthesis_versions_synthesis_number'),
    )
    op.create_index(op.f('ix_synthesis_versions_synthesis_id'), 'synthesis_versions', ['synthesis_id'], unique=False)


def downgrade():
    # Two tables of their own: dropping them touches no other table.
    op.drop_index(op.f('ix_synthesis_versions_synthesis_id'), table_name='synthesis_versions')
    op.drop_table('synthesis_versions')
    op.drop_table('syntheses')
