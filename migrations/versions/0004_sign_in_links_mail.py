"""sign-in links and sent mail

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 16:11:49.081557

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sent_mail',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_sent_mail'))
    )
    op.create_table('sign_in_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('password_marker', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("purpose IN ('invitation', 'reset')", name=op.f('ck_sign_in_link_purpose_known')),
    sa.ForeignKeyConstraint(['issued_by_id'], ['person.id'], name=op.f('fk_sign_in_link_issued_by_id_person'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_sign_in_link_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_link')),
    sa.UniqueConstraint('secret_hash', name=op.f('uq_sign_in_link_secret_hash'))
    )
    with op.batch_alter_table('sign_in_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_in_link_person_id'), ['person_id'], unique=False)



def downgrade():
    with op.batch_alter_table('sign_in_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_link_person_id'))

    op.drop_table('sign_in_link')
    op.drop_table('sent_mail')
