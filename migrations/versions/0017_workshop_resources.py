"""Workshop resources: the links and documents a workshop shared.

Revision ID: 0017
Revises: 0016
"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'workshop_resources',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('workshop_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.Enum('link', 'file', name='resourcekind', native_enum=False, create_constraint=False,
                                  length=20), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('url', sa.String(length=2000), nullable=True),
        sa.Column('file_name', sa.String(length=200), nullable=True),
        sa.Column('stored_name', sa.String(length=64), nullable=True),
        sa.Column('media_type', sa.String(length=100), nullable=True),
        sa.Column('size', sa.Integer(), nullable=True),
        sa.Column('sha256', sa.String(length=64), nullable=True),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['workshop_id'], ['workshops.id'],
                                name=op.f('fk_workshop_resources_workshop_id_workshops'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_workshop_resources_created_by_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_workshop_resources')),
        sa.UniqueConstraint('stored_name', name=op.f('uq_workshop_resources_stored_name')),
    )
    op.create_index(op.f('ix_workshop_resources_workshop_id'), 'workshop_resources', ['workshop_id'], unique=False)


def downgrade():
    # A table of its own: the files under UPLOADS_DIR stay (an operator removes them knowingly).
    op.drop_index(op.f('ix_workshop_resources_workshop_id'), table_name='workshop_resources')
    op.drop_table('workshop_resources')
