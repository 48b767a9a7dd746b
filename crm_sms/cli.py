"""``flask crm-sms ...``: migrations, users, demo data, the worker, the demo."""

import os
import subprocess
import sys

import click
from flask import current_app
from flask.cli import AppGroup, ScriptInfo, with_appcontext
from werkzeug.serving import run_simple

from . import schema
from .models import db

group = AppGroup("crm-sms", help="SMS for the CRM: database, users, worker, demo.")


@group.command("upgrade")
@with_appcontext
def upgrade():
    """Create or update crm_sms's tables (and the built-in CRM's when it is the host); never the host's own."""
    schema.upgrade(db.engine, builtin=current_app.extensions["crm_sms"].builtin)


@group.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice(["admin", "manager", "agent", "customer"]), required=True)
@click.option("--email")
@click.option("--contact-id", type=int, help="The contact a customer user is.")
@click.password_option()
@with_appcontext
def create_user(username, role, email, contact_id, password):
    """Create a user who can log in."""
    users = _builtin_users()
    try:
        user = users.create_user(username, password, role, email=email, contact=users.find_contact(contact_id))
    except users.UserError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Created {user.role} {user.username}.")


@group.command("set-password")
@click.argument("username")
@click.password_option()
@with_appcontext
def set_password(username, password):
    """Give a user a new password; it logs them out everywhere."""
    users = _builtin_users()
    user = users.find_user(username)
    if user is None:
        raise click.ClickException(f"There is no user {username!r}.")
    try:
        users.change_password(user, password)
    except users.UserError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"New password set for {user.username}; their sessions have ended.")


def _builtin_users():
    """The built-in CRM's users; a host manages its own users and passwords."""
    from .crm import BuiltinHost, users
    from .host import host

    if not isinstance(host._get_current_object(), BuiltinHost):
        raise click.ClickException(
            f"Users and passwords are the host's ({type(host._get_current_object()).__name__}): manage them there."
        )
    return users


@group.command("seed-demo")
@with_appcontext
def seed_demo():
    """Fill an empty database with demo users, accounts and contacts."""
    from .crm import demo

    if demo.seed():
        db.session.commit()
        click.echo("Demo data created.")
    else:
        click.echo("Demo data already there.")
    _print_demo_users()


def _print_demo_users():
    from .crm import demo

    click.echo(f"Log in with any of these (password for all: {demo.PASSWORD}):")
    for username, role in demo.USERS:
        click.echo(f"  {username:<10} {role}")


@group.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@click.option(
    "--fork/--simple",
    default=False,
    help="Fork a process per job, or run jobs in this process (the default: a fork costs more than most "
    "jobs, about 0.25 s against 20 ms).",
)
def worker(burst, fork):
    """Run a job worker (with RQ's scheduler and the periodic sweep)."""
    from . import worker as worker_module

    _log_to_stderr()
    worker_module.run(current_app._get_current_object(), burst=burst, simple=not fork)


def _log_to_stderr():
    """Show crm_sms's logs (every send, every webhook) in a command's output: as set (``init_app`` installed
    that), else as text."""
    from . import logs

    if current_app.config["CRM_SMS_LOG_FORMAT"] == "none":
        logs.install("text")


@group.command("sweep")
@with_appcontext
def sweep():
    """Run the periodic sweep once, now."""
    from .jobs.sweep import sweep as run_sweep

    click.echo(run_sweep())


@group.command("demo")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@click.pass_context
def demo(ctx, host, port):
    """Set up and run the demo: database, demo data, two workers and the web server."""
    app = current_app._get_current_object()
    _log_to_stderr()
    with app.app_context():
        ctx.invoke(upgrade)
        ctx.invoke(seed_demo)
        app.extensions["crm_sms"].redis.ping()  # start the embedded Redis before the worker looks for it
    app_path = ctx.find_object(ScriptInfo).app_import_path or os.environ.get("FLASK_APP", "wsgi")
    # Two, as deployed (docs/deploy.md): while one sends a campaign, the other takes receipts and replies.
    workers = [
        subprocess.Popen([sys.executable, "-m", "flask", "--app", app_path, "crm-sms", "worker"]) for _ in range(2)
    ]
    click.echo(f"\nThe demo runs on http://{host}:{port}  (Ctrl-C stops it)\n")
    try:
        run_simple(host, port, app, threaded=True)
    finally:
        for worker_process in workers:
            worker_process.terminate()
        for worker_process in workers:
            worker_process.wait(timeout=10)
