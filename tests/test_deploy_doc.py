"""docs/deploy.md cannot go stale: every setting, command and URL it must name is there and real."""

import os
import re

import pytest

from crm_sms import cli, config

DOC = os.path.join(os.path.dirname(os.path.dirname(__file__)), "docs", "deploy.md")


@pytest.fixture(scope="module")
def doc():
    with open(DOC, encoding="utf-8") as file:
        return file.read()


@pytest.mark.parametrize("key", sorted(config.DEFAULTS))
def test_every_setting_has_a_row_in_the_environment_table(doc, key):
    assert f"| `{config.PREFIX}{key}` |" in doc


def test_the_table_names_no_setting_that_does_not_exist(doc):
    named = set(re.findall(r"^\| `CRM_SMS_(\w+)` \|", doc, flags=re.MULTILINE))
    assert named == set(config.DEFAULTS)


def test_every_crm_sms_command_in_the_doc_exists(doc):
    named = set(re.findall(r"crm-sms ([a-z][a-z-]*)", doc))
    assert named and named <= set(cli.group.commands)


def test_every_path_in_the_doc_is_served(app, doc):
    paths = set(re.findall(r"/sms/[\w/]+", doc))
    served = {rule.rule for rule in app.url_map.iter_rules()}
    assert {"/sms/health", "/sms/webhooks/vonage/status", "/sms/webhooks/vonage/inbound"} <= paths <= served


@pytest.mark.parametrize("key", sorted(k for k, s in config.DEFAULTS.items() if hasattr(s.parse, "bounds")))
def test_every_numeric_setting_has_its_bounds_in_the_table(doc, key):
    low, high = config.DEFAULTS[key].parse.bounds
    row = re.search(rf"^\| `{config.PREFIX}{key}` \|.*$", doc, flags=re.MULTILINE).group(0)
    assert f"From {low} to {high}." in row
