"""ratings, evidence, goals and role profile changes

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 16:29:33.669833

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('competency_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('ref', sa.String(length=200), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("source IN ('quiz', 'track', 'mentor', 'manual')", name=op.f('ck_evidence_source_known')),
    sa.CheckConstraint('level BETWEEN 1 AND 5', name=op.f('ck_evidence_level_range')),
    sa.ForeignKeyConstraint(['competency_id'], ['competency.id'], name=op.f('fk_evidence_competency_id_competency')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_evidence_person_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['person.id'], name=op.f('fk_evidence_recorded_by_id_person'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence')),
    sa.UniqueConstraint('person_id', 'competency_id', 'ref', name=op.f('uq_evidence_person_id_competency_id_ref'))
    )
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.create_index('ix_evidence_person_recorded', ['person_id', 'recorded_at'], unique=False)

    op.create_table('goal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('competency_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('target_date', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['competency_id'], ['competency.id'], name=op.f('fk_goal_competency_id_competency')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_goal_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_goal'))
    )
    with op.batch_alter_table('goal', schema=None) as batch_op:
        batch_op.create_index('ix_goal_person_due', ['person_id', 'target_date'], unique=False)

    op.create_table('rating',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('competency_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('evidence_url', sa.String(length=500), nullable=False),
    sa.Column('rated_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("source IN ('self', 'mentor', 'lead', 'quiz', 'track', 'import')", name=op.f('ck_rating_source_known')),
    sa.CheckConstraint('level BETWEEN 1 AND 5', name=op.f('ck_rating_level_range')),
    sa.ForeignKeyConstraint(['competency_id'], ['competency.id'], name=op.f('fk_rating_competency_id_competency')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_rating_person_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rated_by_id'], ['person.id'], name=op.f('fk_rating_rated_by_id_person'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating'))
    )
    with op.batch_alter_table('rating', schema=None) as batch_op:
        batch_op.create_index('ix_rating_person_competency_created', ['person_id', 'competency_id', 'created_at'], unique=False)

    op.create_table('role_profile_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('from_profile', sa.String(length=64), nullable=True),
    sa.Column('to_profile', sa.String(length=64), nullable=True),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['changed_by_id'], ['person.id'], name=op.f('fk_role_profile_change_changed_by_id_person'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_role_profile_change_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_role_profile_change'))
    )
    with op.batch_alter_table('role_profile_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_role_profile_change_person_id'), ['person_id'], unique=False)



def downgrade():
    with op.batch_alter_table('role_profile_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_role_profile_change_person_id'))

    op.drop_table('role_profile_change')
    with op.batch_alter_table('rating', schema=None) as batch_op:
        batch_op.drop_index('ix_rating_person_competency_created')

    op.drop_table('rating')
    with op.batch_alter_table('goal', schema=None) as batch_op:
        batch_op.drop_index('ix_goal_person_due')

    op.drop_table('goal')
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_index('ix_evidence_person_recorded')

    op.drop_table('evidence')
