from ..models import db
from ..services import provider_events


def simulated(kind, params):
    """A simulator report, delivered like the provider's webhook would be."""
    if kind == "receipt":
        provider_events.receive_receipt(params)
    else:
        provider_events.receive_inbound(params)
    db.session.commit()
