"""session token: sessions and remember-me cookies name a per-user token that logout and a new password replace

Every existing user gets a random token, so cookies issued before the upgrade (which named the user id) log
nobody in: everyone logs in once more.

Revision ID: 0010_sessions_session_token
Revises: 0009_backfill_conversations
Create Date: 2026-12-03 09:45:00

"""

import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010_sessions_session_token"
down_revision = "0009_backfill_conversations"
branch_labels = None
depends_on = None

users = sa.table("users", sa.column("id"), sa.column("session_token"))


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_token", sa.String(length=64), nullable=True))
    connection = op.get_bind()
    for user_id in connection.scalars(sa.select(users.c.id)).all():
        connection.execute(users.update().where(users.c.id == user_id).values(session_token=secrets.token_urlsafe(32)))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("session_token", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_users_session_token"), ["session_token"])


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_users_session_token"), type_="unique")
        batch_op.drop_column("session_token")
