"""Workshop facilitators: the accounts assigned to one workshop, who carry and decide there.

Revision ID: 0015
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'workshop_facilitators',
        sa.Column('workshop_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('assigned_at', sa.DateTime(), nullable=False),
        sa.Column('assigned_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['workshop_id'], ['workshops.id'],
                                name=op.f('fk_workshop_facilitators_workshop_id_workshops'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_workshop_facilitators_user_id_users'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['assigned_by_id'], ['users.id'],
                                name=op.f('fk_workshop_facilitators_assigned_by_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('workshop_id', 'user_id', name=op.f('pk_workshop_facilitators')),
    )
    op.create_index(op.f('ix_workshop_facilitators_user_id'), 'workshop_facilitators', ['user_id'], unique=False)


def downgrade():
    # A new table of its own: dropping it touches no other table (no batch copy of users).
    op.drop_index(op.f('ix_workshop_facilitators_user_id'), table_name='workshop_facilitators')
    op.drop_table('workshop_facilitators')
