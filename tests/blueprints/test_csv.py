"""Every CSV download: cells made inert for spreadsheets, rows streamed with the query inside the stream."""

import csv
import io
import uuid
from decimal import Decimal

import pytest
import sqlalchemy as sa

from crm_sms.blueprints import _csv
from crm_sms.models import Message, db
from crm_sms.services import consent


@pytest.mark.parametrize(
    "value, shown",
    [
        ('=HYPERLINK("http://evil.example")', '\'=HYPERLINK("http://evil.example")'),
        ("+15555550100", "'+15555550100"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Ada Lovelace", "Ada Lovelace"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (42, 42),
        (Decimal("-0.0079"), Decimal("-0.0079")),  # a number is a number, not a formula
    ],
)
def test_a_cell_that_could_run_as_a_formula_gets_an_apostrophe(value, shown):
    assert _csv.cell(value) == shown


def _rows(response):
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def _message(direction="inbound", body="hello", contact=None, account=None, phone="+14155550101"):
    message = Message(
        direction=direction,
        status="received" if direction == "inbound" else "sent",
        body=body,
        contact=contact,
        account=account,
        phone_e164=phone,
        sender_e164="+16285550100",
        client_ref=uuid.uuid4().hex,
    )
    db.session.add(message)
    db.session.commit()
    return message


def test_the_messages_export_neutralizes_hostile_texts_and_names(client, login, make_contact, make_account):
    account = make_account("@SUM(1+1)*cmd|' /C calc'!A0", numbers=("+12125550101",))
    contact = make_contact('=HYPERLINK("http://evil.example"', 'x")', account=account)
    _message("inbound", "=1+1", contact=contact)
    _message("outbound", "-2+3 off today", account=account, phone="+12125550101")
    login("manager")
    rows = {row["direction"]: row for row in _rows(client.get("/sms/messages.csv"))}
    inbound, outbound = rows["inbound"], rows["outbound"]
    assert inbound["body"] == "'=1+1"
    assert inbound["recipient"] == '\'=HYPERLINK("http://evil.example" x")'
    assert inbound["related entity"] == outbound["recipient"] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    assert outbound["body"] == "'-2+3 off today"
    assert inbound["phone"] == "'+14155550101" and inbound["from"] == "'+16285550100"
    assert not any(value.startswith(tuple("=+-@")) for row in rows.values() for value in row.values())


def test_the_consent_export_neutralizes_who_changed_it_and_the_account_name(client, login, make_account):
    account = make_account("=cmd|' /C calc'!A0")
    consent.opt_in(account, account.phone_numbers[0], "Email", "staff", "@admin")
    db.session.commit()
    login("manager")
    [row] = _rows(client.get("/sms/consent/log.csv"))
    assert row["record"] == "'=cmd|' /C calc'!A0" and row["changed by"] == "'@admin"


@pytest.fixture
def queries():
    """The SQL statements run while a test is going."""
    statements = []

    def record(connection, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    yield statements
    sa.event.remove(db.engine, "before_cursor_execute", record)


@pytest.mark.parametrize(
    "url, table",
    [
        ("/sms/messages.csv", "crm_sms_messages"),
        ("/sms/consent/log.csv", "crm_sms_consent_events"),
        ("/sms/consent/contacts/{contact}/log.csv", "crm_sms_consent_events"),
    ],
)
def test_an_export_streams_and_reads_its_rows_only_while_streaming(
    client, login, make_contact, opt_in, queries, url, table
):
    contact = opt_in(make_contact())
    for number in range(1, 1202):
        _message("inbound", f"message {number}", contact=contact)
    login("manager")
    queries.clear()
    response = client.get(url.format(contact=contact.id), buffered=False)
    assert response.is_streamed
    assert not any(f"FROM {table}" in statement for statement in queries)  # the header is out before any row is read
    pieces = list(response.response)
    assert any(f"FROM {table}" in statement for statement in queries)
    if table == "crm_sms_messages":
        assert len(pieces) > 2  # written a few hundred rows at a time, never as one string
        assert b"".join(pieces).count(b"\n") == 1 + 1201
