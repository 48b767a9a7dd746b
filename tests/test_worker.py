import os
import subprocess
import sys
import time

from crm_sms import worker
from crm_sms.queue import enqueue
from crm_sms.services import sweep


def test_the_sweep_runs_every_registered_sweeper_in_an_app_context(app, monkeypatch):
    calls = []
    monkeypatch.setattr(sweep, "_sweepers", [lambda: calls.append("ran") or 3])
    enqueue("crm_sms.jobs.sweep.sweep")
    worker.run(app, burst=True, simple=True, with_scheduler=False)
    assert calls == ["ran"]
    assert sweep.last_run() is not None


def test_a_worker_process_runs_the_periodic_sweep_by_itself(app, base_config):
    env = {
        **os.environ,
        "DATABASE_URL": base_config["SQLALCHEMY_DATABASE_URI"],
        "CRM_SMS_REDIS_URL": base_config["CRM_SMS_REDIS_URL"],
        "CRM_SMS_QUEUE": base_config["CRM_SMS_QUEUE"],
        "CRM_SMS_SWEEP_INTERVAL": "5",
        "SECRET_KEY": "test",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "crm-sms", "worker"],
        env=env, cwd=os.path.dirname(os.path.dirname(__file__)),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while sweep.last_run() is None and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.2)
        assert sweep.last_run() is not None
    finally:
        process.terminate()
        output = process.communicate(timeout=20)[0]
    assert "crm_sms.jobs.sweep.sweep" in output
