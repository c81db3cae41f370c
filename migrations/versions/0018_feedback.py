"""Participants' feedback: a questionnaire per edition, and the answers to it.

Revision ID: 0018
Revises: 0017
"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'feedback_questionnaires',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('edition_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.Enum('open', 'closed', name='questionnairestatus', native_enum=False,
                                    create_constraint=False, length=20), nullable=False),
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('opened_at', sa.DateTime(), nullable=False),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.Column('opened_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['edition_id'], ['editions.id'],
                                name=op.f('fk_feedback_questionnaires_edition_id_editions'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['opened_by_id'], ['users.id'],
                                name=op.f('fk_feedback_questionnaires_opened_by_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_questionnaires')),
        sa.UniqueConstraint('edition_id', name=op.f('uq_feedback_questionnaires_edition_id')),
        sa.UniqueConstraint('token', name=op.f('uq_feedback_questionnaires_token')),
    )
    op.create_table(
        'feedback_answers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('questionnaire_id', sa.Integer(), nullable=False),
        sa.Column('overall', sa.String(length=20), nullable=False),
        sa.Column('organisation', sa.String(length=20), nullable=False),
        sa.Column('content', sa.String(length=20), nullable=False),
        sa.Column('come_again', sa.String(length=20), nullable=False),
        sa.Column('comment', sa.Text(), nullable=False),
        sa.Column('is_publishable', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('browser_hash', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['questionnaire_id'], ['feedback_questionnaires.id'],
                                name=op.f('fk_feedback_answers_questionnaire_id_feedback_questionnaires'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_answers')),
        sa.UniqueConstraint('questionnaire_id', 'browser_hash', name='uq_feedback_answers_questionnaire_browser'),
    )
    op.create_index(op.f('ix_feedback_answers_questionnaire_id'), 'feedback_answers', ['questionnaire_id'],
                    unique=False)


def downgrade():
    # Two tables of their own: dropping them touches no other table.
    op.drop_index(op.f('ix_feedback_answers_questionnaire_id'), table_name='feedback_answers')
    op.drop_table('feedback_answers')
    op.drop_table('feedback_questionnaires')
