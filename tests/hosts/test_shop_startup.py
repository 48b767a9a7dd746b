"""A host adapter that is incomplete fails when the app starts, naming what is missing."""

import pytest
from flask import Flask

from crm_sms import CrmSms, Host
from examples.shop_crm.app import login_manager
from examples.shop_crm.host import ShopHost
from examples.shop_crm.models import db


def _without(name):
    """ShopHost's class body without ``name``: what a developer who forgot it would have written."""
    body = {key: value for key, value in vars(ShopHost).items() if key != name and not key.startswith("__")}
    return type("ForgetfulHost", (Host,), body)


@pytest.fixture
def bare_app(shop_config):
    """The shop's app before SMS is added: its database and its login, nothing of crm_sms."""
    app = Flask("forgetful")
    app.config.update(shop_config)
    db.init_app(app)
    login_manager.init_app(app)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("missing", ["phones", "role", "name", "url", "staff", "contact_model", "user_model"])
def test_a_host_missing_a_required_part_fails_at_start_up_naming_it(bare_app, missing):
    with pytest.raises(Exception, match=rf"\b{missing}\b"):
        CrmSms(bare_app, db=db, host=_without(missing)())


def test_the_shop_host_is_complete(bare_app):
    CrmSms(bare_app, db=db, host=ShopHost())
    assert isinstance(bare_app.extensions["crm_sms"].host, ShopHost)
