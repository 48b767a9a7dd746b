"""Alembic environment of the built-in CRM's tables (version table ``crm_sms_crm_alembic_version``)."""

from crm_sms.schema import run_environment

run_environment()
