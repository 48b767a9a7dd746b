"""Shop CRM's app factory: its own database, login and pages, plus SMS in one line (``CrmSms(...)``).

    export FLASK_APP=examples.shop_crm.app
    flask shop init-db && flask crm-sms upgrade && flask shop seed
    flask crm-sms worker &        # sends, receipts, replies, campaigns
    flask run                     # http://127.0.0.1:5000, log in as sam@shop.test / shop-pass

DATABASE_URL picks the database (a SQLite file in the instance folder by default); crm_sms reads its own
settings (CRM_SMS_REDIS_URL, CRM_SMS_PROVIDER, ...) from the config or the environment.
"""

import os

from flask import Flask
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from crm_sms import CrmSms

from . import cli, views
from .host import ShopHost
from .models import User, db

login_manager = LoginManager()
login_manager.login_view = "shop.login"
csrf = CSRFProtect()


@login_manager.user_loader
def load_user(user_id):
    return db.session.get(User, int(user_id))


def create_app(config=None):
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(
        SECRET_KEY=os.environ.get("SECRET_KEY", "shop-dev-secret: set SECRET_KEY in production"),
        SQLALCHEMY_DATABASE_URI=_database_url(app),
        # crm_sms's pages extend the shop's layout.
        CRM_SMS_BASE_TEMPLATE="base.html",
    )
    if config:
        app.config.update(config)
    db.init_app(app)
    login_manager.init_app(app)
    csrf.init_app(app)
    app.register_blueprint(views.bp)
    app.cli.add_command(cli.group)
    CrmSms(app, db=db, host=ShopHost())
    return app


def _database_url(app):
    url = os.environ.get("DATABASE_URL") or "sqlite:///" + os.path.join(app.instance_path, "shop_crm.sqlite")
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
