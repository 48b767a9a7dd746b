"""crm_sms's Alembic history (its own tables) and the legacy one; run by crm_sms.schema."""
