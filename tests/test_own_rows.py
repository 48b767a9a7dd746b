"""A request that links records (the SMS panel on a host's record page, a GET nobody commits) keeps them:
the ids the page hands out name rows in the next request. Nothing else is ever committed for the view."""

import pytest

from crm_sms.crm.models import Contact
from crm_sms.models import Record, db
from crm_sms.services import records


@pytest.fixture
def app(make_app):
    """An app with a host-like page that links a contact and never commits (as a host's GET does)."""
    app = make_app()

    def link(contact_id, rename=False, status=200):
        contact = db.session.get(Contact, contact_id)
        if rename:
            contact.first_name = "Changed"  # the view's own change, left for teardown to roll back
        return str(records.link(contact).id), status

    app.add_url_rule("/link/<int:contact_id>", "link", link)
    app.add_url_rule("/rename/<int:contact_id>", "rename", lambda contact_id: link(contact_id, rename=True))
    app.add_url_rule("/fail/<int:contact_id>", "fail", lambda contact_id: link(contact_id, status=500))
    return app


@pytest.fixture
def ada(app):
    with app.app_context():
        contact = Contact(first_name="Ada", last_name="Lovelace")
        db.session.add(contact)
        db.session.commit()
        return contact.id


def _record(app, contact_id):
    with app.app_context():
        found = db.session.scalar(db.select(Record).where(Record.host_id == str(contact_id)))
        return found, db.session.get(Contact, contact_id).first_name


def test_a_request_that_only_links_a_record_keeps_it_without_a_commit(app, ada):
    response = app.test_client().get(f"/link/{ada}")

    record, _ = _record(app, ada)
    assert record is not None and str(record.id) == response.text


def test_a_request_that_wrote_anything_else_is_left_to_its_view(app, ada):
    app.test_client().get(f"/rename/{ada}")

    assert _record(app, ada) == (None, "Ada")


def test_a_request_that_failed_keeps_nothing(app, ada):
    app.test_client().get(f"/fail/{ada}")

    assert _record(app, ada) == (None, "Ada")
