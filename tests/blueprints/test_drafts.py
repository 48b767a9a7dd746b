"""Drafts are their author's: nobody else sends, reads or sees one by its id, and nothing of it reaches them."""

import pytest

from crm_sms.models import Conversation, Message, MessageEvent, Subscription, db
from crm_sms.queue import queue
from crm_sms.services import messages
from tests.conftest import PASSWORD


@pytest.fixture
def grace_draft(make_user, make_contact, make_sender, opt_in):
    """Grace's draft to Ada, from Grace's own line."""
    grace = make_user("grace", "agent")
    line = make_sender("+16285550111", user=grace)
    ada = opt_in(make_contact("Ada", "Lovelace", numbers=("+14155550101",)))
    draft = messages.compose(ada, ada.phone_numbers[0], line, "Your order is ready", grace, draft=True)
    db.session.commit()
    return draft


def _log_in(client, make_user, username, role="agent"):
    make_user(username, role)
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302


def _unchanged(draft):
    db.session.expire_all()
    assert db.session.get(Message, draft.id).status == "draft"
    assert [
        e.status for e in db.session.scalars(db.select(MessageEvent).where(MessageEvent.message_id == draft.id))
    ] == ["draft"]
    assert queue().count == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(Conversation)) == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(Subscription)) == 0


@pytest.mark.parametrize("headers", [{}, {"HX-Request": "true"}])
def test_another_agent_cannot_send_someones_draft_by_its_id(client, make_user, grace_draft, headers):
    _log_in(client, make_user, "alan")

    response = client.post(f"/sms/messages/{grace_draft.id}/send", headers=headers)

    assert response.status_code == 404
    _unchanged(grace_draft)


def test_a_manager_cannot_send_an_agents_draft_either(client, make_user, grace_draft):
    _log_in(client, make_user, "mona", "manager")

    assert client.post(f"/sms/messages/{grace_draft.id}/send").status_code == 404
    _unchanged(grace_draft)


def test_another_agent_cannot_read_someones_draft_by_its_id(client, make_user, grace_draft):
    _log_in(client, make_user, "alan")

    response = client.get(f"/sms/messages/{grace_draft.id}")

    assert response.status_code == 404 and "Your order is ready" not in response.text


def test_someones_draft_is_not_listed_on_the_record_page_the_sent_list_or_the_export(client, make_user, grace_draft):
    _log_in(client, make_user, "alan")

    for url in (
        f"/sms/contacts/{grace_draft.contact_id}/panel",
        f"/sms/contacts/{grace_draft.contact_id}/list",
        "/sms/messages",
        "/sms/messages.csv",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Your order is ready" not in response.text, url
        assert f"/sms/messages/{grace_draft.id}/send" not in response.text, url


def test_there_is_no_way_to_edit_a_draft_by_id_for_anyone_else(client, make_user, grace_draft, app):
    """Every route that names a message (any method) answers someone else's draft with 404, and changes nothing."""
    _log_in(client, make_user, "alan")
    rules = [r for r in app.url_map.iter_rules() if "message_id" in r.arguments]
    assert rules
    for rule in rules:
        url = rule.build({name: grace_draft.id if name == "message_id" else 1 for name in rule.arguments})[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, data={"body": "Changed", "sms-body": "Changed"})
            assert response.status_code == 404, (method, url)
    _unchanged(grace_draft)
    assert db.session.get(Message, grace_draft.id).body == "Your order is ready"


def test_the_author_sends_their_own_draft(client, grace_draft):
    assert client.post("/login", data={"username": "grace", "password": PASSWORD}).status_code == 302

    response = client.post(f"/sms/messages/{grace_draft.id}/send")

    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Message, grace_draft.id).status == "queued"


def test_a_draft_from_a_line_no_longer_the_authors_is_refused_with_403(client, grace_draft, make_user):
    from crm_sms.models import SenderNumber

    line = db.session.scalar(db.select(SenderNumber).where(SenderNumber.e164 == grace_draft.sender_e164))
    line.user = make_user("alan", "agent")  # the line was handed to a colleague after the draft was written
    db.session.commit()
    assert client.post("/login", data={"username": "grace", "password": PASSWORD}).status_code == 302

    assert client.post(f"/sms/messages/{grace_draft.id}/send").status_code == 403
    _unchanged(grace_draft)
