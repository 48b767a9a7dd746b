"""Campaign generation run by real ``flask crm-sms worker`` processes, including one killed half-way."""

import os
import signal
import time
from datetime import timedelta

import pytest

from crm_sms.models import Campaign, Consent, Contact, Message, MessageEvent, PhoneNumber, db, utcnow
from crm_sms.services import campaigns, templates


@pytest.fixture
def crowd(app, phone_types):
    """``crowd(n)``: n contacts with bulk inserts; every 10th shares the previous one's number, every 7th never opted in.

    Returns the contact ids and the set of numbers that should get a message.
    """
    def make(n):
        now = utcnow()
        numbers = [f"+1415{2000000 + (i - 1 if i % 10 == 0 else i):07d}" for i in range(1, n + 1)]
        db.session.execute(db.insert(Contact), [
            {"id": i, "first_name": f"P{i}", "last_name": "Person", "ready": True, "created_at": now, "updated_at": now}
            for i in range(1, n + 1)])
        db.session.execute(db.insert(PhoneNumber), [
            {"id": i, "contact_id": i, "type_id": phone_types["Mobile"].id, "e164": numbers[i - 1], "region": "US",
             "is_primary": True, "preferred_sms": True, "created_at": now} for i in range(1, n + 1)])
        db.session.execute(db.insert(Consent), [
            {"contact_id": i, "state": "never_asked" if i % 7 == 0 else "opted_in", "phone_number_id": i,
             "changed_at": now} for i in range(1, n + 1)])
        db.session.commit()
        eligible = {numbers[i - 1] for i in range(1, n + 1) if i % 7}
        return list(range(1, n + 1)), eligible

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
    campaigns.add_records(campaign, ids)
    campaigns.generate(campaign)
    db.session.commit()
    start_worker()
    assert _wait(lambda: _campaign(campaign.id).status != "generating", 40)
    assert _campaign(campaign.id).status == "scheduled"
    assert set(db.session.scalars(db.select(Message.phone_e164).where(Message.campaign_id == campaign.id))) == eligible


def test_a_generation_killed_half_way_is_finished_by_a_new_worker_with_one_message_per_number(
        campaign, crowd, start_worker):
    ids, eligible = crowd(3000)
    campaigns.add_records(campaign, ids)
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
