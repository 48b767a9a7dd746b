"""``/sms/health``: for load balancers and monitoring, public (it names no record and no secret).

200 when the database and Redis answer, 503 when either does not; the body
says which, with the queue's depth and the age of the oldest due message.
"""

from ..services import health
from ._views import pages

bp = pages("health", __name__, url_prefix="/sms")


@bp.route("/health")
def check():
    report = health.check()
    return report, 200 if report["status"] == "ok" else 503, {"Cache-Control": "no-store"}
