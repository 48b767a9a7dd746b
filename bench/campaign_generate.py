"""How fast a campaign's messages are generated, and how much memory the worker doing it needs.

    .venv/bin/python bench/campaign_generate.py [--contacts 100000] [--chunk 2000]

Seeds (bulk inserts) that many opted-in contacts with a number each, a draft
campaign for all of them, then lets one real ``flask crm-sms worker --burst
--simple`` process (the job runs in that process) generate the messages.
Prints the generation time (aim: at most 10 s), the worker's peak memory
(ru_maxrss; aim: under 300 MB), and for comparison the rate of a plain bulk
insert of the same message and event rows.

SQLite in a temporary folder unless DATABASE_URL is set. On PostgreSQL use a
database of its own: it is created if missing, and its tables are dropped and
rebuilt, e.g. ``DATABASE_URL=postgresql://postgres:postgres@127.0.0.1:5432/bench``.
Redis from CRM_SMS_REDIS_URL, else an embedded one.

Frequency caps: ``--history`` seeds an earlier campaign delivered 3 days ago to
every other contact (so ``--cap-days 7`` skips half of them, ``--cap-days 1`` none),
``--cap-days`` and ``--open-conversations`` turn the caps on.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.send_throughput import ROOT, fresh_schema, make_app, prepare  # noqa: E402


def ensure_database(url):
    """Create the PostgreSQL database named in ``url`` when it does not exist yet."""
    if not url.startswith("postgres"):
        return
    import sqlalchemy as sa

    target = sa.engine.make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    engine = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        if not connection.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}):
            connection.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    engine.dispose()


def reset_and_seed(app, count, history=False, cap_days=None, open_conversations=False):
    """An empty schema, then ``count`` opted-in contacts, a template, a sender and a draft campaign for them all;
    with ``history``, an earlier campaign delivered 3 days ago to every other contact; the caps as given."""
    from crm_sms.crm.models import Contact, PhoneType
    from crm_sms.crm.models import PhoneNumber as BuiltinPhoneNumber
    from crm_sms.models import (
        Campaign,
        CampaignRecipient,
        Consent,
        Department,
        PhoneNumber,
        Record,
        SenderNumber,
        Signature,
        Template,
        db,
        utcnow,
    )
    from crm_sms.services import settings

    with app.app_context():
        fresh_schema(app)
        now = utcnow()
        db.session.add(PhoneType(id=1, name="Mobile", sms_capable=True))
        sender = SenderNumber(e164="+16285550100", label="Main", is_default=True, mps=100000)
        support = Department(name="Support", phone="+16285550199", email="support@example.com")
        db.session.add_all(
            [
                sender,
                Signature(name="Short", department=support, text="Reply STOP to unsubscribe.", default_for_bulk=True),
            ]
        )
        template = Template(
            name="Sale",
            module="contacts",
            body="Hi {{ contact.first_name }}, our spring sale starts Monday: 20% off everything in store.",
        )
        db.session.add(template)
        db.session.flush()
        for start in range(0, count, 20000):
            ids = range(start + 1, min(count, start + 20000) + 1)
            db.session.execute(
                db.insert(Contact),
                [
                    {
                        "id": i,
                        "first_name": f"Person{i % 97}",
                        "last_name": str(i),
                        "ready": True,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for i in ids
                ],
            )
            db.session.execute(
                db.insert(BuiltinPhoneNumber),
                [
                    {
                        "id": i,
                        "contact_id": i,
                        "type_id": 1,
                        "e164": f"+1415{2000000 + i:07d}",
                        "region": "US",
                        "is_primary": True,
                        "created_at": now,
                    }
                    for i in ids
                ],
            )
            # crm_sms's rows for them, as linking them would make (ids kept, as the legacy migration does).
            db.session.execute(
                db.insert(Record),
                [
                    {"id": i, "kind": "contacts", "host_id": str(i), "name": f"Person{i % 97} {i}", "synced_at": now}
                    for i in ids
                ],
            )
            db.session.execute(
                db.insert(PhoneNumber),
                [
                    {
                        "id": i,
                        "record_id": i,
                        "key": f"phone:{i}",
                        "label": "Mobile",
                        "sms_capable": True,
                        "e164": f"+1415{2000000 + i:07d}",
                        "region": "US",
                        "is_primary": True,
                        "preferred_sms": True,
                        "current": True,
                        "created_at": now,
                    }
                    for i in ids
                ],
            )
            db.session.execute(
                db.insert(Consent),
                [
                    {
                        "contact_id": i,
                        "state": "opted_in",
                        "phone_number_id": i,
                        "consent_type": "Paper",
                        "source": "import",
                        "changed_at": now,
                    }
                    for i in ids
                ],
            )
        campaign = Campaign(
            name="Bench", module="contacts", template=template, sender=sender, send_at=now + timedelta(hours=1)
        )
        db.session.add(campaign)
        db.session.flush()
        if history:
            seed_history(count, template, sender, now)
        if cap_days or open_conversations:  # (a checkout from before the caps has no such settings)
            settings.put("frequency_cap_days", cap_days)
            settings.put("frequency_cap_open_conversations", open_conversations)
        db.session.execute(
            db.insert(CampaignRecipient),
            [{"campaign_id": campaign.id, "contact_id": i, "created_at": now} for i in range(1, count + 1)],
        )
        db.session.commit()
        return campaign.id


def seed_history(count, template, sender, now):
    """An earlier campaign, its messages delivered 3 days ago to every other contact."""
    from crm_sms.models import Campaign, Message, db

    earlier = Campaign(
        name="Earlier", module="contacts", template=template, sender=sender, send_at=now, status="completed"
    )
    db.session.add(earlier)
    db.session.flush()
    at = now - timedelta(days=3)
    common = dict(
        direction="outbound",
        kind="campaign",
        status="delivered",
        body="Earlier",
        sender_e164=sender.e164,
        campaign_id=earlier.id,
        send_at=at,
        sent_at=at,
        created_at=at,
        status_changed_at=at,
        attempts=1,
    )
    for start in range(1, count + 1, 20000):
        db.session.execute(
            db.insert(Message),
            [
                {**common, "contact_id": i, "phone_e164": f"+1415{2000000 + i:07d}", "client_ref": f"earlier-{i}"}
                for i in range(start, min(count, start + 19999) + 1, 2)
            ],
        )


LAUNCHER = """
import os, subprocess, sys
worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "crm-sms", "worker", "--burst", "--simple"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
_, status, usage = os.wait4(worker.pid, 0)
if os.waitstatus_to_exitcode(status):
    sys.exit("the worker failed")
print(usage.ru_maxrss)
"""


def run_generation(app, url, redis_url, campaign_id, chunk):
    """Generate in a real worker process; returns (seconds the job took, worker peak RSS in MB, campaign)."""
    from crm_sms.models import Campaign, db
    from crm_sms.services import campaigns

    with app.app_context():
        campaigns.generate(db.session.get(Campaign, campaign_id))
        db.session.commit()  # enqueues the generation job
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "CRM_SMS_REDIS_URL": redis_url,
        "CRM_SMS_QUEUE": "bench",
        "SECRET_KEY": "bench",
        "CRM_SMS_CAMPAIGN_CHUNK": str(chunk),
    }
    started = time.monotonic()
    # A lean launcher starts the worker and reports its ru_maxrss (wait4: that process alone). Started from
    # this process directly, the worker would inherit the high-water mark of this (big) process through fork.
    launched = subprocess.run(
        [sys.executable, "-c", LAUNCHER], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    )
    wall = time.monotonic() - started
    peak_mb = int(launched.stdout.split()[-1]) / 1024  # ru_maxrss is in kilobytes on Linux
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        took = (campaign.generated_at - campaign.generation_started_at).total_seconds()
        return took, wall, peak_mb, (campaign.status, campaign.created_count, campaign.skipped)


def plain_insert_rate(app, campaign_id):
    """Rows per second of plain multi-row INSERTs of the same messages and events (after deleting them)."""
    from crm_sms.models import Message, MessageEvent, db

    with app.app_context():
        columns = [c for c in Message.__table__.c if c.key != "id"]
        rows = [
            dict(row._mapping)
            for row in db.session.execute(db.select(*columns).where(Message.campaign_id == campaign_id))
        ]
        db.session.execute(db.delete(MessageEvent))
        db.session.execute(db.delete(Message))
        db.session.commit()
        started = time.monotonic()
        for start in range(0, len(rows), 2000):
            chunk = rows[start : start + 2000]
            ids = db.session.scalars(db.insert(Message.__table__).returning(Message.__table__.c.id), chunk).all()
            db.session.execute(
                db.insert(MessageEvent.__table__),
                [
                    {"message_id": id, "status": "queued", "at": chunk[0]["created_at"], "source": "worker"}
                    for id in ids
                ],
            )
            db.session.commit()
        took = time.monotonic() - started
        return len(rows) / took, took


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=2000)
    parser.add_argument("--history", action="store_true", help="an earlier campaign to every other contact")
    parser.add_argument("--cap-days", type=int, default=None, help="the frequency cap (default: none)")
    parser.add_argument("--open-conversations", action="store_true", help="skip contacts in an open conversation")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        url, redis_url, server = prepare(workdir)
        database = "PostgreSQL" if url.startswith("postgres") else "SQLite"
        ensure_database(url)
        app = make_app(url, redis_url)
        started = time.monotonic()
        campaign_id = reset_and_seed(app, args.contacts, args.history, args.cap_days, args.open_conversations)
        print(f"[{database}] seeded {args.contacts} opted-in contacts in {time.monotonic() - started:.1f}s")
        took, wall, peak_mb, outcome = run_generation(app, url, redis_url, campaign_id, args.chunk)
        print(
            f"[{database}] generation: {outcome[1]} messages in {took:.2f}s = {outcome[1] / took:.0f} msg/s "
            f"(aim: <= 10s; wall {wall:.1f}s incl. worker start-up); status {outcome[0]}, skipped {outcome[2]}"
        )
        print(f"[{database}] worker peak memory (ru_maxrss): {peak_mb:.0f} MB (aim: < 300 MB)")
        rate, plain = plain_insert_rate(app, campaign_id)
        print(
            f"[{database}] plain SQLAlchemy bulk insert (multi-row INSERT … RETURNING, then events) "
            f"of the same rows: {plain:.2f}s = {rate:.0f} msg/s"
        )
        if server is not None:
            server.shutdown()


if __name__ == "__main__":
    main()
