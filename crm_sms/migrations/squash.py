"""Write the first revision of both histories afresh from the models: ``python -m crm_sms.migrations.squash``.

Each history's first revision creates its tables from nothing (a fresh install runs only these). After the
models change before a release, run this to regenerate them: it autogenerates each history against an empty
database, keeping the revision ids (``crm_sms_0001``, ``crm_0001``) so that databases stamped at them stay
valid, then lints and formats the files with ruff when it is installed. It refuses to run once a history has a
second revision: from then on, changes are new revisions (``alembic revision --autogenerate`` style, see
``crm_sms.schema``), never an edit of the first.
"""

import os
import subprocess
import sys
import tempfile

from alembic import command
from flask import Flask

from crm_sms import models, schema

FIRST = {
    schema.SMS: ("crm_sms_0001", "crm_sms tables"),
    schema.CRM: ("crm_0001", "built-in CRM tables"),
}


def squash():
    """Regenerate both first revisions; return the paths written."""
    written = []
    with tempfile.TemporaryDirectory() as workdir:
        app = Flask(__name__)
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{workdir}/empty.sqlite"
        models.db.init_app(app)
        with app.app_context():
            for history, (rev_id, message) in FIRST.items():
                written.append(_regenerate(history, rev_id, message, models.db.engine))
            models.db.engine.dispose()
    subprocess.run([sys.executable, "-m", "ruff", "check", "--fix", "--quiet", *written], check=False)
    subprocess.run([sys.executable, "-m", "ruff", "format", "--quiet", *written], check=False)
    return written


def _regenerate(history, rev_id, message, engine):
    versions = os.path.join(history.directory, "versions")
    old = [name for name in os.listdir(versions) if name.endswith(".py")]
    if any(not name.startswith(rev_id) for name in old):
        raise SystemExit(f"{versions} has revisions after {rev_id}: add a new revision instead of squashing.")
    for name in old:
        os.remove(os.path.join(versions, name))
    with engine.begin() as connection:
        script = command.revision(history.config(connection), message=message, autogenerate=True, rev_id=rev_id)
    return script.path


if __name__ == "__main__":
    for path in squash():
        print(f"wrote {path}")
