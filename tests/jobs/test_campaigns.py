"""Campaign generation run by real ``flask crm-sms worker`` processes, including one killed half-way."""

import os
import signal
import time
from datetime import timedelta

import pytest

from crm_sms.models import Campaign, Consent, Contact, Message, MessageEvent, PhoneNumber, db, utcnow
from crm_sms.services import campaigns, templates


def bulk_contacts(n, mobile, number, opted_in=lambda i: True, **fields):
    """Contacts P1…Pn with bulk inserts (no explicit ids: PostgreSQL's sequences stay right), each with
    ``number(i)`` as preferred SMS number and opted in there when ``opted_in(i)`` (else never asked).

    Returns {i: contact id}.
    """
    now = utcnow()
    db.session.execute(db.insert(Contact), [
        {"first_name": f"P{i}", "last_name": "Person", "ready": True, "created_at": now, "updated_at": now, **fields}
        for i in range(1, n + 1)])
    ids = {int(name[1:]): id for id, name in db.session.execute(
        db.select(Contact.id, Contact.first_name).where(Contact.first_name.like("P%")))}
    db.session.execute(db.insert(PhoneNumber), [
        {"contact_id": ids[i], "type_id": mobile.id, "e164": number(i), "region": "US", "is_primary": True,
         "preferred_sms": True, "created_at": now} for i in range(1, n + 1)])
    phones = dict(db.session.execute(db.select(PhoneNumber.contact_id, PhoneNumber.id).where(
        PhoneNumber.contact_id.in_(ids.values()))).all())
    db.session.execute(db.insert(Consent), [
        {"contact_id": ids[i], "state": "opted_in" if opted_in(i) else "never_asked", "phone_number_id": phones[ids[i]],
         "changed_at": now} for i in range(1, n + 1)])
    db.session.commit()
    return ids


@pytest.fixture
def crowd(app, phone_types):
    """``crowd(n)``: n contacts; every 10th shares the previous one's number, every 7th never opted in.

    Returns {i: contact id} and the set of numbers that should get a message.
    """
    def make(n):
        def number(i):
            return f"+1415{2000000 + (i - 1 if i % 10 == 0 else i):07d}"

        ids = bulk_contacts(n, phone_types["Mobile"], number, opted_in=lambda i: i % 7)
        return ids, {number(i) for i in range(1, n + 1) if i % 7}

    return make


@pytest.fixture
def campaign(make_user, make_sender):
    manager = make_user("manager", "manager")
    template = templates.save(None, "Sale", "contacts", "Hi {{ contact.first_name }}, our sale starts Monday.",
                              manager)
    made = campaigns.save(None, "Spring sale", utcnow() + timedelta(days=1), "contacts", template, make_sender(), None,
                          manager)
    db.session.commit()
    return made


def _campaign(campaign_id):
    return db.session.scalars(db.select(Campaign).where(Campaign.id == campaign_id)
                              .execution_options(populate_existing=True)).one()


def _wait(condition, timeout, worker=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()  # a fresh read each time
        if condition():
            return True
        assert worker is None or worker.poll() is None, worker.communicate()[0]
        time.sleep(0.02)
    return False


def _descendants(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            found = [int(child) for child in children.read().split()]
    except FileNotFoundError:
        return []
    return found + [grandchild for child in found for grandchild in _descendants(child)]


def test_a_worker_process_generates_a_campaigns_messages(campaign, crowd, start_worker):
    ids, eligible = crowd(50)
    campaigns.add_records(campaign, ids.values())
    campaigns.generate(campaign)
    db.session.commit()
    start_worker()
    assert _wait(lambda: _campaign(campaign.id).status != "generating", 40)
    assert _campaign(campaign.id).status == "scheduled"
    assert set(db.session.scalars(db.select(Message.phone_e164).where(Message.campaign_id == campaign.id))) == eligible


def test_a_generation_killed_half_way_is_finished_by_a_new_worker_with_one_message_per_number(
        campaign, crowd, start_worker):
    ids, eligible = crowd(3000)
    campaigns.add_records(campaign, ids.values())
    campaigns.generate(campaign)
    db.session.commit()
    first = start_worker(CRM_SMS_CAMPAIGN_CHUNK=15)
    assert _wait(lambda: _campaign(campaign.id).processed >= 300, 60, first)
    family = [first.pid, *_descendants(first.pid)]  # the worker and the work horse running the job
    for pid in family:
        os.kill(pid, signal.SIGKILL)
    first.wait()
    db.session.rollback()
    stopped = _campaign(campaign.id)
    assert stopped.status == "generating" and 0 < stopped.processed < 3000  # it did die half-way

    start_worker(CRM_SMS_CAMPAIGN_CHUNK=15, CRM_SMS_SWEEP_INTERVAL=5, CRM_SMS_CAMPAIGN_STALE_SECONDS=1)
    assert _wait(lambda: _campaign(campaign.id).status != "generating", 90)
    done = _campaign(campaign.id)
    numbers = db.session.scalars(db.select(Message.phone_e164).where(Message.campaign_id == campaign.id)).all()
    assert sorted(numbers) == sorted(eligible)  # every eligible number once, none twice
    assert (done.status, done.processed, done.created_count) == ("scheduled", 3000, len(eligible))
    duplicates = sum(1 for i in ids if i % 10 == 0 and i % 7 and (i - 1) % 7)  # its number went to i - 1
    assert done.skipped == {"not_opted_in": 3000 // 7, "duplicate": duplicates}
    assert db.session.scalar(db.select(db.func.count()).select_from(MessageEvent)) == len(eligible)
