"""A worker killed with SIGKILL (with its work horse) half-way through its job, then a new worker started."""

import collections

from crm_sms.models import Campaign, Message, MessageEvent, db
from crm_sms.services import campaigns
from tests.conftest import kill_worker, wait_until, worker_output
from tests.fakes.vonage import SIGNATURE_SECRET, receipt

from .conftest import SENDER, dispatch, settled, statuses


def test_a_worker_killed_mid_send_leaves_that_message_unknown_sends_the_rest_once_and_its_receipt_settles_it(
    app, client, queued, vonage_fake, vonage_worker
):
    refs = queued(30)
    in_flight = list(refs)[9]
    hold = vonage_fake.hold(in_flight)  # the fake takes this one, then keeps its answer until released
    first = vonage_worker(CRM_SMS_SWEEP_INTERVAL=5)
    dispatch()
    assert hold.arrived.wait(60), worker_output(first)

    kill_worker(first)
    hold.release()  # its answer goes to a dead socket
    db.session.rollback()
    at_kill = collections.Counter(statuses().values())
    assert at_kill["sent"] >= 1 and at_kill["sending"] >= 2  # it did die half-way: some sent, some still claimed

    # Its sweep settles the claims the dead one left, once they are 30 seconds old (the shortest allowed).
    second = vonage_worker(CRM_SMS_SWEEP_INTERVAL=5, CRM_SMS_STALE_SENDING_SECONDS=30)
    assert wait_until(settled, 90, second, every=0.2)
    final = statuses()
    assert final == {number: "unknown" if number == in_flight else "sent" for number in refs}
    assert vonage_fake.sends() == collections.Counter(set(refs))  # each handed over once, the unknown one too
    note = db.session.scalar(
        db.select(MessageEvent.note)
        .join(Message)
        .where(Message.client_ref == refs[in_flight], MessageEvent.status == "unknown")
    )
    assert note == "worker stopped while sending; not resent"

    (taken,) = [a for a in vonage_fake.accepted if a.client_ref == refs[in_flight]]
    response = client.post(
        "/sms/webhooks/vonage/status",
        data=receipt(
            taken.message_id,
            msisdn=in_flight,
            to=SENDER.lstrip("+"),
            client_ref=refs[in_flight],
            secret=SIGNATURE_SECRET,
        ),
    )
    assert response.status_code == 204
    db.session.rollback()
    assert statuses()[in_flight] == "delivered"


def _campaign(campaign_id):
    return db.session.get(Campaign, campaign_id, populate_existing=True)


def test_a_generation_killed_half_way_is_finished_by_a_new_worker_with_one_message_per_number(
    campaign, crowd, start_worker
):
    ids, eligible = crowd(3000)
    campaigns.add_records(campaign, ids.values())
    campaigns.generate(campaign)
    db.session.commit()
    first = start_worker(CRM_SMS_CAMPAIGN_CHUNK=15)
    assert wait_until(lambda: _campaign(campaign.id).processed >= 300, 60, first)
    kill_worker(first)
    db.session.rollback()
    stopped = _campaign(campaign.id)
    assert stopped.status == "generating" and 0 < stopped.processed < 3000  # it did die half-way

    start_worker(CRM_SMS_CAMPAIGN_CHUNK=15, CRM_SMS_SWEEP_INTERVAL=5, CRM_SMS_CAMPAIGN_STALE_SECONDS=1)
    assert wait_until(lambda: _campaign(campaign.id).status != "generating", 90)
    done = _campaign(campaign.id)
    numbers = db.session.scalars(db.select(Message.phone_e164).where(Message.campaign_id == campaign.id)).all()
    assert sorted(numbers) == sorted(eligible)  # every eligible number once, none twice
    assert (done.status, done.processed, done.created_count) == ("scheduled", 3000, len(eligible))
    duplicates = sum(1 for i in ids if i % 10 == 0 and i % 7 and (i - 1) % 7)  # its number went to i - 1
    assert done.skipped == {"not_opted_in": 3000 // 7, "duplicate": duplicates}
    assert db.session.scalar(db.select(db.func.count()).select_from(MessageEvent)) == len(eligible)
