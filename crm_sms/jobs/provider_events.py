import time

from ..models import db
from ..services import provider_events

#: Reports one ``simulated_due`` job delivers per transaction, and how long it goes on.
CHUNK = 200
TIME_BUDGET = 60


def simulated(report_id):
    """A simulator report, delivered like the provider's webhook would be (nothing if delivered already)."""
    provider_events.deliver_simulated([report_id])
    db.session.commit()


def simulated_due():
    """The simulator's reports whose time has come and whose own jobs were lost; the sweep enqueues it."""
    deadline, delivered = time.monotonic() + TIME_BUDGET, 0
    while time.monotonic() < deadline and (due := provider_events.due_simulated(CHUNK)):
        delivered += provider_events.deliver_simulated(due)
        db.session.commit()
    return delivered
