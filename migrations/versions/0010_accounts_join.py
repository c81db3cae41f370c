"""accounts join: sign-up requests, single-use tokens, department and password change time of users

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 23:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

ROLE = sa.Enum('contributor', 'facilitator', 'admin', name='role', native_enum=False, create_constraint=False,
               length=20)


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('department', sa.String(length=3), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('password_changed_at', sa.DateTime(), nullable=True))

    op.create_table(
        'join_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('display_name', sa.String(length=120), nullable=False),
        sa.Column('structure_id', sa.Integer(), nullable=True),
        sa.Column('proposed_structure', sa.String(length=200), nullable=False),
        sa.Column('department', sa.String(length=3), nullable=False),
        sa.Column('role_asked', ROLE, nullable=False),
        sa.Column('reason', sa.String(length=1000), nullable=False),
        sa.Column('status', sa.Enum('pending', 'approved', 'refused', name='joinstatus', native_enum=False,
                                    create_constraint=False, length=20), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('role_granted', ROLE, nullable=True),
        sa.Column('refusal_message', sa.String(length=1000), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['structure_id'], ['structures.id'], name=op.f('fk_join_requests_structure_id_structures'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_join_requests_decided_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_join_requests_user_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_join_requests')),
    )
    with op.batch_alter_table('join_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_join_requests_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_join_requests_status'), ['status'], unique=False)

    op.create_table(
        'account_tokens',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('purpose', sa.Enum('set_password', 'reset_password', 'invitation', 'confirm_email',
                                     name='tokenpurpose', native_enum=False, create_constraint=False, length=20),
                  nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('role', ROLE, nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('used_at', sa.DateTime(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('relay_token', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_account_tokens_user_id_users'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_account_tokens_created_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_account_tokens')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_account_tokens_token_hash')),
    )
    with op.batch_alter_table('account_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_tokens_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('account_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_tokens_user_id'))
    op.drop_table('account_tokens')
    with op.batch_alter_table('join_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_join_requests_status'))
        batch_op.drop_index(batch_op.f('ix_join_requests_email'))
    op.drop_table('join_requests')
    # SQLite drops a column by copying the table, and cannot reflect the expression index of
    # 0009 to copy it: drop it around the copy and make it again.
    op.drop_index('uq_users_email_lower', table_name='users')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('password_changed_at')
        batch_op.drop_column('department')
    op.create_index('uq_users_email_lower', 'users', [sa.text('lower(email)')], unique=True)
