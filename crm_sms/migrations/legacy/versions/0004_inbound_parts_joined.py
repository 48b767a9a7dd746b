"""inbound parts kept after the join

Revision ID: 0004_inbound_parts_joined
Revises: 0003_templates
Create Date: 2026-11-22 03:34:13.605197

"""

import sqlalchemy as sa
from alembic import op

import crm_sms.models.base  # noqa: F401  (UtcDateTime)

# revision identifiers, used by Alembic.
revision = "0004_inbound_parts_joined"
down_revision = "0003_templates"
branch_labels = None
depends_on = None


def upgrade():

    with op.batch_alter_table("inbound_parts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("joined_at", crm_sms.models.base.UtcDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_inbound_parts_provider_id"), ["provider_id"], unique=False)


def downgrade():

    with op.batch_alter_table("inbound_parts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbound_parts_provider_id"))
        batch_op.drop_column("joined_at")
