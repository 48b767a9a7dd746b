from ..models import db
from ..services import sweep as sweep_service


def sweep():
    """Periodic: re-enqueue due work and settle stale state."""
    done = sweep_service.run()
    db.session.commit()
    return done
