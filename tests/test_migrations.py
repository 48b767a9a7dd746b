from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from crm_sms.models import db


def test_migrations_build_exactly_the_schema_the_models_describe(app):
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert differences == []
