"""document views per day, and current competency levels kept beside the ratings

Revision ID: 0013
Revises: 0008
Create Date: 2026-11-26 18:00:21

"""
from alembic import op
import sqlalchemy as sa

revision = '0013'
down_revision = '0008'
branch_labels = None
depends_on = None

# The newest validated and the newest self-rating of every (person, competency): levels.current_levels in SQL.
BACKFILL = """
INSERT INTO current_level (person_id, competency_id, level, validated_level, self_level, validated_at, self_at)
SELECT person_id, competency_id,
       COALESCE(MAX(CASE WHEN validated = 1 THEN level END), MAX(CASE WHEN validated = 0 THEN level END)),
       MAX(CASE WHEN validated = 1 THEN level END), MAX(CASE WHEN validated = 0 THEN level END),
       MAX(CASE WHEN validated = 1 THEN created_at END), MAX(CASE WHEN validated = 0 THEN created_at END)
FROM (SELECT person_id, competency_id, level, created_at, validated,
             ROW_NUMBER() OVER (PARTITION BY person_id, competency_id, validated
                                ORDER BY created_at DESC, id DESC) AS newest
      FROM (SELECT id, person_id, competency_id, level, created_at,
                   CASE WHEN source IN ('import', 'lead', 'mentor') THEN 1 ELSE 0 END AS validated
            FROM rating WHERE source IN ('self', 'import', 'lead', 'mentor')) AS counted) AS ranked
WHERE newest = 1
GROUP BY person_id, competency_id
"""


def upgrade():
    op.create_table(
        'document_view_day',
        sa.Column('document_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.CheckConstraint('count >= 1', name=op.f('ck_document_view_day_count_positive')),
        sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_document_view_day_document_id_document'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('document_id', 'day', name=op.f('pk_document_view_day')),
    )
    op.create_table(
        'current_level',
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('competency_id', sa.Integer(), nullable=False),
        sa.Column('level', sa.Integer(), nullable=False),
        sa.Column('validated_level', sa.Integer(), nullable=True),
        sa.Column('self_level', sa.Integer(), nullable=True),
        sa.Column('validated_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('self_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint('level BETWEEN 1 AND 5', name=op.f('ck_current_level_level_range')),
        sa.ForeignKeyConstraint(['competency_id'], ['competency.id'],
                                name=op.f('fk_current_level_competency_id_competency')),
        sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_current_level_person_id_person'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('person_id', 'competency_id', name=op.f('pk_current_level')),
    )
    with op.batch_alter_table('current_level', schema=None) as batch_op:
        batch_op.create_index('ix_current_level_competency', ['competency_id'], unique=False)
    op.execute(BACKFILL)


def downgrade():
    with op.batch_alter_table('current_level', schema=None) as batch_op:
        batch_op.drop_index('ix_current_level_competency')
    op.drop_table('current_level')
    op.drop_table('document_view_day')
