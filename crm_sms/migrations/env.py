"""Alembic environment of crm_sms's own tables (version table ``crm_sms_alembic_version``): see crm_sms.schema."""

from crm_sms.schema import run_environment

run_environment()
