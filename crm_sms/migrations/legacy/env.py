"""Alembic environment of the legacy history 0001...0015 (version table ``alembic_version``): see crm_sms.schema."""

from crm_sms.schema import run_environment

run_environment()
