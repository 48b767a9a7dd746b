import time

from ..config import config_value
from ..models import db
from ..services import dispatch as dispatch_service, messages

#: A dispatch job stops claiming after this long, so one job never holds a worker forever.
TIME_BUDGET = 60


def dispatch():
    """Send every due message, a batch at a time, committing after each message."""
    deadline = time.monotonic() + TIME_BUDGET
    handled = 0
    # The claimed rows are this job's alone: no need to reload them after every commit.
    db.session().expire_on_commit = False
    while time.monotonic() < deadline:
        batch = dispatch_service.claim(config_value("DISPATCH_BATCH"))
        db.session.commit()
        if not batch:
            break
        if handled == 0 and len(batch) == config_value("DISPATCH_BATCH"):
            dispatch_service.spread()  # more is due than one batch: idle workers help, each at its own pace
        for _ in dispatch_service.deliver(batch):
            db.session.commit()
        handled += len(batch)
    else:  # more is due: another job carries on, under an id of its own (RQ deletes this job's id when it ends,
        # and with it a twin enqueued under the same id: the work would wait for the sweep)
        messages.enqueue_dispatch()
    return handled
