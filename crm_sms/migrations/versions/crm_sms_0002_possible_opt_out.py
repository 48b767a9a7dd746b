"""possible opt-outs: messages.flag; YES and the digits leave the keyword lists an admin saved

An inbound message that reads as a wish to stop ("please stop texting me") is flagged "possible_opt_out".
YES, 1 and 2 were default keywords at any time; they are now consent answers (keywords_consent_yes and
keywords_consent_no), read only while a consent request is pending. Lists an admin saved with the old defaults
lose them (a list left empty is deleted: its default applies). A downgrade drops the column and leaves the lists.

Revision ID: crm_sms_0002_possible_opt_out
Revises: crm_sms_0001
Create Date: 2026-12-03 16:10:00

"""

import sqlalchemy as sa
from alembic import op

import crm_sms.models.base  # noqa: F401  (UtcDateTime)

# revision identifiers, used by Alembic.
revision = "crm_sms_0002_possible_opt_out"
down_revision = "crm_sms_0001"
branch_labels = None
depends_on = None

#: The words each stored list loses: the old defaults that are consent answers now.
MOVED = {"keywords_opt_in": {"YES", "1"}, "keywords_opt_out": {"2"}}

settings = sa.table("crm_sms_settings", sa.column("key", sa.String), sa.column("value", sa.JSON))


def upgrade():
    op.add_column("crm_sms_messages", sa.Column("flag", sa.String(length=32), nullable=True))
    drop_consent_answers(op.get_bind())


def drop_consent_answers(bind):
    """Take the old defaults that are consent answers now out of the keyword lists an admin saved."""
    for key, value in bind.execute(sa.select(settings.c.key, settings.c.value).where(settings.c.key.in_(MOVED))).all():
        if not isinstance(value, list):
            continue
        kept = [word for word in value if str(word).strip().upper() not in MOVED[key]]
        if not kept:
            bind.execute(settings.delete().where(settings.c.key == key))
        elif kept != value:
            bind.execute(settings.update().where(settings.c.key == key).values(value=kept))


def downgrade():
    with op.batch_alter_table("crm_sms_messages") as batch:
        batch.drop_column("flag")
