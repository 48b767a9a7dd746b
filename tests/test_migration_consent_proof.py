"""Revision crm_sms_0004_consent_proof: suppressions per sender number, and back."""

import sqlalchemy as sa
from alembic import command

from crm_sms import schema
from tests.test_schema import scratch  # noqa: F401  (the fixture)

ROWS = [("+14155550101", ""), ("+14155550101", "+16285550100"), ("+14155550102", "+16285550109")]


def _suppressions(connection):
    return connection.execute(sa.text("SELECT e164, source FROM crm_sms_suppressions ORDER BY e164")).all()


def test_a_downgrade_keeps_one_suppression_per_number_covering_every_sender_and_upgrades_again(scratch):  # noqa: F811
    engine = scratch()
    schema.upgrade(engine, builtin=True)
    with engine.begin() as connection:
        for e164, sender in ROWS:
            connection.execute(
                sa.text(
                    "INSERT INTO crm_sms_suppressions (e164, sender_e164, since, source) "
                    "VALUES (:e164, :sender, CURRENT_TIMESTAMP, 'sms_reply')"
                ),
                {"e164": e164, "sender": sender},
            )
    with engine.begin() as connection:
        command.downgrade(schema.SMS.config(connection), "crm_sms_0001")
    with engine.begin() as connection:
        assert _suppressions(connection) == [("+14155550101", "sms_reply"), ("+14155550102", "sms_reply")]
        assert sa.inspect(connection).get_pk_constraint("crm_sms_suppressions")["constrained_columns"] == ["e164"]
        command.upgrade(schema.SMS.config(connection), "heads")
    with engine.begin() as connection:
        rows = connection.execute(sa.text("SELECT e164, sender_e164 FROM crm_sms_suppressions ORDER BY e164")).all()
        assert rows == [("+14155550101", ""), ("+14155550102", "")]
