"""SMS templates: texts managers write for agents and mass messages

Revision ID: 0003_templates
Revises: 0002_sms
Create Date: 2026-11-22 02:26:32.384594

"""

import sqlalchemy as sa
from alembic import op

import crm_sms.models.base  # noqa: F401  (UtcDateTime)

# revision identifiers, used by Alembic.
revision = "0003_templates"
down_revision = "0002_sms"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sms_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("module", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.Column("created_at", crm_sms.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", crm_sms.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("module IN ('contacts', 'accounts')", name=op.f("ck_sms_templates_module")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_sms_templates_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_templates")),
        sa.UniqueConstraint("name", name=op.f("uq_sms_templates_name")),
    )


def downgrade():
    op.drop_table("sms_templates")
