"""How fast the sent messages CSV streams, and how much memory the web process needs for it.

    .venv/bin/python bench/csv_export.py [--messages 1000000] [--contacts 2000]

Seeds ``--messages`` messages (bulk inserts; half inbound, half outbound, one in
fifty with a formula for a body) over ``--contacts`` contacts in accounts, then
serves the app under gunicorn (one worker, one thread), logs in as a manager
and downloads ``/sms/messages.csv`` over HTTP. Reports rows per second and the
worker's memory: its resident size before the export and its peak during it
(the kernel's high-water mark, reset just before the download). A streamed
export keeps the peak flat whatever the row count; one built in memory grows
with it.

SQLite in a temporary folder unless DATABASE_URL is set; Redis from
CRM_SMS_REDIS_URL, else an embedded one.
"""

import argparse
import os
import sys
import tempfile
import threading
import time
import uuid
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench._load import Processes, login, serve  # noqa: E402
from bench.send_throughput import fresh_schema, make_app, prepare, records_from_builtin  # noqa: E402

PASSWORD = "bench-pass"
CHUNK = 20_000


def seed(app, count, contacts):
    from crm_sms.crm import users
    from crm_sms.crm.models import Account, Contact
    from crm_sms.models import Message, db, utcnow

    with app.app_context():
        fresh_schema(app)
        started, now = time.perf_counter(), utcnow()
        users.create_user("manager", PASSWORD, "manager")
        accounts = max(1, contacts // 10)
        db.session.execute(
            db.insert(Account),
            [
                {
                    "id": i + 1,
                    "name": f"Account {i}" if i % 7 else f"@SUM(A{i})",
                    "type": "Customer",
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(accounts)
            ],
        )
        db.session.execute(
            db.insert(Contact),
            [
                {
                    "id": i + 1,
                    "account_id": i % accounts + 1,
                    "first_name": "Ada" if i % 9 else "=cmd",
                    "last_name": f"P{i}",
                    "ready": True,
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(contacts)
            ],
        )
        records_from_builtin(db)
        for start in range(0, count, CHUNK):
            block = range(start, min(start + CHUNK, count))
            db.session.execute(db.insert(Message), [_message(i, contacts, now) for i in block])
            db.session.commit()
            print(f"\rseeded {min(start + CHUNK, count):,} messages", end="", flush=True)
        print(f" in {time.perf_counter() - started:.0f} s")


def _message(i, contacts, now):
    inbound = i % 2 == 0
    at = now - timedelta(seconds=i)
    return {
        "direction": "inbound" if inbound else "outbound",
        "kind": "manual",
        "status": "received" if inbound else "delivered",
        "body": "=1+1" if i % 50 == 0 else f"Message {i} text",
        "contact_id": i % contacts + 1,
        "phone_e164": f"+1415{2000000 + i % contacts:07d}",
        "sender_e164": "+16285550100",
        "segments": 1,
        "client_ref": uuid.uuid4().hex,
        "send_at": at,
        "created_at": at,
        "status_changed_at": at,
        "attempts": 0,
    }


def _worker_pid(master):
    for _ in range(200):
        children = open(f"/proc/{master}/task/{master}/children").read().split()
        if children:
            return int(children[0])
        time.sleep(0.05)
    raise SystemExit("no gunicorn worker")


def _kib(pid, field):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def export(port, cookie, worker):
    import requests

    sampled, done = [], threading.Event()

    def sample():
        while not done.is_set():
            sampled.append(_kib(worker, "VmRSS"))
            time.sleep(0.02)

    before = _kib(worker, "VmRSS")
    with open(f"/proc/{worker}/clear_refs", "w") as clear:
        clear.write("5")  # resets VmHWM to the current resident size
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    lines = size = 0
    first = None
    with requests.get(
        f"http://127.0.0.1:{port}/sms/messages.csv", headers={"Cookie": cookie}, stream=True, timeout=600
    ) as response:
        response.raise_for_status()
        for piece in response.iter_content(65536):
            first = first or time.perf_counter() - started
            lines += piece.count(b"\n")
            size += len(piece)
    took = time.perf_counter() - started
    done.set()
    sampler.join()
    peak = max(_kib(worker, "VmHWM"), *sampled)
    return lines - 1, took, first, size, before, peak


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--contacts", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir, Processes() as processes:
        url, redis_url, redis_server = prepare(workdir)
        database = "PostgreSQL" if url.startswith("postgres") else "SQLite"
        app = make_app(url, redis_url)
        seed(app, args.messages, args.contacts)
        with app.app_context():
            from crm_sms.models import db

            db.engine.dispose()
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "CRM_SMS_REDIS_URL": redis_url,
            "CRM_SMS_QUEUE": "bench",
            "SECRET_KEY": "bench",
        }
        server, port = serve(processes, env, workers=1, threads=1, log=f"{workdir}/gunicorn.log")
        worker = _worker_pid(server.pid)
        cookie = login(port, "manager", PASSWORD)
        rows, took, first, size, before, peak = export(port, cookie, worker)
        print(
            f"[{database}] {rows:,} rows ({size / 2**20:.0f} MiB) in {took:.1f} s: {rows / took:,.0f} rows/s; "
            f"first bytes after {first * 1000:.0f} ms"
        )
        print(
            f"[{database}] web worker memory: {before / 1024:.0f} MiB before, peak {peak / 1024:.0f} MiB during "
            f"the export (+{(peak - before) / 1024:.0f} MiB)"
        )
        if rows != args.messages:
            print(f"EXPECTED {args.messages:,} ROWS")
        processes.stop(server)
        if redis_server is not None:
            redis_server.shutdown()


if __name__ == "__main__":
    main()
