"""The demo host: a small CRM built on crm_sms.

flask --app wsgi crm-sms demo       # everything, for a try-out
flask --app wsgi fire payment.received --contact 1   # an event, as the CRM fires it: its rule texts
gunicorn --workers 4 --threads 4 'wsgi:create_app()'   # the web part in production (docs/deploy.md)
"""

import os
import secrets

import click
from flask import Flask

import crm_sms
from crm_sms import CrmSms


def create_app(test_config=None):
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(SECRET_KEY=os.environ.get("SECRET_KEY") or _instance_secret(app.instance_path))
    app.config.from_pyfile("config.py", silent=True)
    if test_config:
        app.config.update(test_config)
    CrmSms(app)
    app.cli.add_command(fire)
    return app


@click.command("fire")
@click.argument("event")
@click.option("--contact", "contact_id", type=int, help="The contact's id.")
@click.option("--account", "account_id", type=int, help="The account's id.")
@click.option("--key", help="Fire once per key: the same key again sends nothing.")
def fire(event, contact_id, account_id, key):
    """Fire EVENT as the CRM would (a payment, an appointment): the rule mapped to it texts the record."""
    from crm_sms.crm.models import Account, Contact
    from crm_sms.models import db

    contact = db.session.get(Contact, contact_id) if contact_id else None
    account = db.session.get(Account, account_id) if account_id else None
    fired = crm_sms.trigger(event, contact=contact, account=account, key=key)
    db.session.commit()  # the host's transaction: the message is dispatched once it commits
    click.echo(f"Message {fired.message.id}: {fired.message.label}." if fired.sent else f"No message: {fired.reason}.")


def _instance_secret(instance_path):
    """A secret key made once and kept in the instance folder, never in the repository."""
    path = os.path.join(instance_path, "secret_key")
    if not os.path.exists(path):
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as file:
            file.write(secrets.token_hex(32))
    with open(path) as file:
        return file.read().strip()
