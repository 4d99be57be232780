"""team names unique regardless of case

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 05:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("team", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_key", sa.String(length=120), nullable=True))
    op.execute("UPDATE team SET name_key = lower(name)")
    with op.batch_alter_table("team", schema=None) as batch_op:
        batch_op.alter_column("name_key", existing_type=sa.String(length=120), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_team_name_key"), ["name_key"])


def downgrade():
    with op.batch_alter_table("team", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_team_name_key"), type_="unique")
        batch_op.drop_column("name_key")
