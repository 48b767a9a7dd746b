import time
import uuid

from ..config import config_value
from ..models import db
from ..services import dispatch as dispatch_service
from ..services import outbound

#: A dispatch job stops claiming after this long, so one job never holds a worker forever.
TIME_BUDGET = 60


def dispatch():
    """Send every due message, a batch at a time, committing after each message.

    A job that finds as many others sending as allowed sends one batch and ends: they claim again until
    nothing is due, so they take whatever woke it, and its one batch covers one of them just ending.
    """
    name = uuid.uuid4().hex
    deadline = time.monotonic() + TIME_BUDGET
    handled = 0
    # The claimed rows are this job's alone: no need to reload them after every commit.
    db.session().expire_on_commit = False
    try:
        while time.monotonic() < deadline:
            sending = dispatch_service.join(name, TIME_BUDGET)
            batch = dispatch_service.claim(config_value("DISPATCH_BATCH"))
            db.session.commit()
            if not batch:
                break
            if sending and handled == 0 and len(batch) == config_value("DISPATCH_BATCH"):
                dispatch_service.spread()  # more is due than one batch: idle workers help, each at its own pace
            for _ in dispatch_service.deliver(batch):
                db.session.commit()
            handled += len(batch)
            if not sending:
                break
        else:  # more is due: another job carries on
            outbound.enqueue_dispatch()
    finally:
        dispatch_service.leave(name)
    return handled
