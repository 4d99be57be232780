"""owners, governance parameters, tags, template files, framework references and evidence

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 16:04:38.147516

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('content_tag',
    sa.Column('tag', sa.String(length=60), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('tag', name=op.f('pk_content_tag'))
    )
    op.create_table('governance_group',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_governance_group'))
    )
    op.create_table('governance_parameter',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('group_key', sa.String(length=200), nullable=False),
    sa.Column('value', sa.String(length=220), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_governance_parameter'))
    )
    op.create_table('document_file',
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('format', sa.String(length=8), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.CheckConstraint("format IN ('docx', 'xlsx')", name=op.f('ck_document_file_format_known')),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_document_file_document_id_document'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('document_id', 'format', name=op.f('pk_document_file'))
    )
    op.create_table('document_parameter',
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('parameter_key', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_document_parameter_document_id_document'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('document_id', 'parameter_key', name=op.f('pk_document_parameter'))
    )
    with op.batch_alter_table('document_parameter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_parameter_parameter_key'), ['parameter_key'], unique=False)

    with op.batch_alter_table('competency', schema=None) as batch_op:
        batch_op.add_column(sa.Column('talent_triangle', sa.String(length=20), server_default='', nullable=False))
        batch_op.add_column(sa.Column('icb4', sa.JSON(), server_default=sa.text("'[]'"), nullable=False))
        batch_op.add_column(sa.Column('gapps', sa.JSON(), server_default=sa.text("'[]'"), nullable=False))

    with op.batch_alter_table('competency_level', schema=None) as batch_op:
        batch_op.add_column(sa.Column('evidence', sa.JSON(), server_default=sa.text("'[]'"), nullable=False))

    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_name', sa.String(length=120), server_default='', nullable=False))
        batch_op.create_index(batch_op.f('ix_document_reviewed'), ['reviewed'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_title'), ['title'], unique=False)



def downgrade():
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_title'))
        batch_op.drop_index(batch_op.f('ix_document_reviewed'))
        batch_op.drop_column('owner_name')

    with op.batch_alter_table('competency_level', schema=None) as batch_op:
        batch_op.drop_column('evidence')

    with op.batch_alter_table('competency', schema=None) as batch_op:
        batch_op.drop_column('gapps')
        batch_op.drop_column('icb4')
        batch_op.drop_column('talent_triangle')

    with op.batch_alter_table('document_parameter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_parameter_parameter_key'))

    op.drop_table('document_parameter')
    op.drop_table('document_file')
    op.drop_table('governance_parameter')
    op.drop_table('governance_group')
    op.drop_table('content_tag')
