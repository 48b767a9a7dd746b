"""The demo host: a small CRM built on crm_sms.

    flask --app wsgi crm-sms demo       # everything, for a try-out
    gunicorn 'wsgi:create_app()'        # the web part in production
"""

import os
import secrets

from flask import Flask

from crm_sms import CrmSms


def create_app(test_config=None):
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(SECRET_KEY=os.environ.get("SECRET_KEY") or _instance_secret(app.instance_path))
    app.config.from_pyfile("config.py", silent=True)
    if test_config:
        app.config.update(test_config)
    CrmSms(app)
    return app


def _instance_secret(instance_path):
    """A secret key made once and kept in the instance folder, never in the repository."""
    path = os.path.join(instance_path, "secret_key")
    if not os.path.exists(path):
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as file:
            file.write(secrets.token_hex(32))
    with open(path) as file:
        return file.read().strip()
