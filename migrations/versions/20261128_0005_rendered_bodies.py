"""rendered bodies: sanitised HTML and excerpt stored when an entry is saved, not on each view

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 18:45:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('body_html', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('excerpt', sa.String(length=301), server_default='', nullable=False))
    with op.batch_alter_table('revisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('body_html', sa.Text(), server_default='', nullable=False))

    from commons.entries.rendering import render_all

    render_all(op.get_bind())


def downgrade():
    with op.batch_alter_table('revisions', schema=None) as batch_op:
        batch_op.drop_column('body_html')
    with op.batch_alter_table('entries', schema=None) as batch_op:
        batch_op.drop_column('excerpt')
        batch_op.drop_column('body_html')
