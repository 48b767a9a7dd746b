"""leaner message indexes: partial where most rows hold NULL, none that another index covers

Revision ID: 0008_leaner_message_indexes
Revises: 0007_conversations
Create Date: 2026-12-02 04:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008_leaner_message_indexes"
down_revision = "0007_conversations"
branch_labels = None
depends_on = None

PARTIAL = {
    "ix_messages_contact": (["contact_id", "created_at"], "contact_id IS NOT NULL"),
    "ix_messages_account": (["account_id", "created_at"], "account_id IS NOT NULL"),
    "ix_messages_provider_id": (["provider_id"], "provider_id IS NOT NULL"),
}


def _where(condition):
    return {"sqlite_where": sa.text(condition), "postgresql_where": sa.text(condition)}


def upgrade():
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_campaign_id")
        batch_op.drop_index("ix_messages_phone")
        for name, (columns, condition) in PARTIAL.items():
            batch_op.drop_index(name)
            batch_op.create_index(name, columns, unique=False, **_where(condition))


def downgrade():
    with op.batch_alter_table("messages", schema=None) as batch_op:
        for name, (columns, _) in PARTIAL.items():
            batch_op.drop_index(name)
            batch_op.create_index(name, columns, unique=False)
        batch_op.create_index("ix_messages_phone", ["phone_e164", "status"], unique=False)
        batch_op.create_index("ix_messages_campaign_id", ["campaign_id"], unique=False)
