"""Campaign generation run by a real ``flask crm-sms worker`` process (killed half-way: tests/faults/)."""

from crm_sms.models import Campaign, Message, db
from crm_sms.services import campaigns
from tests.conftest import wait_until


def _campaign(campaign_id):
    return db.session.scalars(
        db.select(Campaign).where(Campaign.id == campaign_id).execution_options(populate_existing=True)
    ).one()


def test_a_worker_process_generates_a_campaigns_messages(campaign, crowd, start_worker):
    ids, eligible = crowd(50)
    campaigns.add_records(campaign, ids.values())
    campaigns.generate(campaign)
    db.session.commit()
    start_worker()
    assert wait_until(lambda: _campaign(campaign.id).status != "generating", 40)
    assert _campaign(campaign.id).status == "scheduled"
    assert set(db.session.scalars(db.select(Message.phone_e164).where(Message.campaign_id == campaign.id))) == eligible
