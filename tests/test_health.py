"""``/sms/health``: public, cheap, 200 when the database and Redis answer, 503 naming the one that does not."""

import uuid
from datetime import timedelta

import pytest

from crm_sms.models import Message, db, utcnow
from crm_sms.queue import enqueue

URL = "/sms/health"


def _message(status, send_at, hold_reason=None):
    message = Message(
        direction="outbound",
        status=status,
        hold_reason=hold_reason,
        body="Hi",
        send_at=send_at,
        phone_e164="+14155550101",
        sender_e164="+16285550100",
        client_ref=uuid.uuid4().hex,
    )
    db.session.add(message)
    db.session.commit()
    return message


def test_a_healthy_app_answers_200_without_a_login(client):
    response = client.get(URL)
    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert (response.json["database"], response.json["redis"]) == ("ok", "ok")
    assert response.json["queue"] == {"name": "crm_sms_test", "queued": 0, "scheduled": 0, "failed": 0, "workers": 0}
    assert response.json["oldest_due_seconds"] is None
    assert response.headers["Cache-Control"] == "no-store"


def test_the_queue_depth_counts_waiting_and_scheduled_jobs(client):
    enqueue("crm_sms.jobs.sweep.sweep")
    enqueue("crm_sms.jobs.sweep.sweep", delay=600)
    queue = client.get(URL).json["queue"]
    assert (queue["queued"], queue["scheduled"]) == (1, 1)


def test_the_oldest_due_message_is_the_longest_waiting_for_a_worker(client):
    now = utcnow()
    _message("queued", now - timedelta(seconds=90))
    _message("held", now - timedelta(seconds=30), hold_reason="quiet_hours")  # the window opened: due again
    age = client.get(URL).json["oldest_due_seconds"]
    assert 90 <= age < 120


def test_messages_not_yet_due_claimed_or_waiting_for_a_person_are_not_due(client):
    now = utcnow()
    _message("queued", now + timedelta(minutes=5))
    _message("sending", now - timedelta(hours=1))
    _message("held", now - timedelta(hours=1), hold_reason="awaiting_consent")
    _message("draft", now - timedelta(hours=1))
    assert client.get(URL).json["oldest_due_seconds"] is None


def test_a_database_that_does_not_answer_makes_it_503_without_details(app, make_app, tmp_path):
    broken = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/no/such/dir/crm.sqlite")
    response = broken.test_client().get(URL)
    assert response.status_code == 503
    assert (response.json["status"], response.json["database"], response.json["redis"]) == (
        "unavailable",
        "error",
        "ok",
    )
    assert str(tmp_path) not in response.text


@pytest.mark.parametrize("url", ["redis://127.0.0.1:1/0", "unix:///nonexistent/redis.sock"])
def test_a_redis_that_does_not_answer_makes_it_503(app, make_app, url):
    response = make_app(CRM_SMS_REDIS_URL=url).test_client().get(URL)
    assert response.status_code == 503
    assert (response.json["database"], response.json["redis"], response.json["queue"]) == ("ok", "error", None)
    assert "127.0.0.1" not in response.text and "nonexistent" not in response.text
