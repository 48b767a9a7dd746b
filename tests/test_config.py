import pytest

from crm_sms import config
from crm_sms.config import ConfigError, config_value
from wsgi import create_app


def test_every_setting_has_a_default_and_a_description():
    for key, setting in config.DEFAULTS.items():
        assert setting.doc.strip(), key


def test_defaults_fill_the_app_config(app):
    assert app.config["CRM_SMS_ALLOWED_REGIONS"] == ("US", "CA")
    assert app.config["CRM_SMS_PROVIDER"] == "simulator"


def test_environment_variable_overrides_the_default(base_config, monkeypatch):
    monkeypatch.setenv("CRM_SMS_ALLOWED_REGIONS", "us, ca, gb")
    app = create_app(base_config)
    assert app.config["CRM_SMS_ALLOWED_REGIONS"] == ("US", "CA", "GB")


def test_host_config_wins_over_the_environment(base_config, monkeypatch):
    monkeypatch.setenv("CRM_SMS_PAGE_SIZE", "50")
    app = create_app({**base_config, "CRM_SMS_PAGE_SIZE": 10})
    assert app.config["CRM_SMS_PAGE_SIZE"] == 10


@pytest.mark.parametrize("key, value, message", [
    ("CRM_SMS_PROVIDER", "carrier-pigeon", "must be one of simulator, vonage"),
    ("CRM_SMS_PAGE_SIZE", "lots", "expected a number"),
    ("CRM_SMS_SWEEP_INTERVAL", "1", "must be at least 5"),
    ("CRM_SMS_ALLOWED_REGIONS", "US,XX", "'XX' is not a region code"),
    ("CRM_SMS_CRM_PAGES", "maybe", "expected true or false"),
    ("CRM_SMS_SIMULATOR_FAIL_NUMBERS", "0123", "is not an E.164 number"),
])
def test_a_bad_value_stops_start_up_naming_the_key(base_config, monkeypatch, key, value, message):
    monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError) as error:
        create_app({name: setting for name, setting in base_config.items() if name != key})
    assert str(error.value).startswith(key + ":")
    assert message in str(error.value)


def test_vonage_provider_without_credentials_stops_start_up(base_config):
    with pytest.raises(ConfigError, match="CRM_SMS_VONAGE_API_KEY must be set"):
        create_app({**base_config, "CRM_SMS_PROVIDER": "vonage"})


def test_unknown_setting_is_a_programming_error(app):
    with pytest.raises(KeyError):
        config_value("NO_SUCH_THING")


@pytest.mark.parametrize("url, expected", [
    ("postgres://u:p@db/crm", "postgresql+psycopg://u:p@db/crm"),
    ("postgresql://u@db/crm", "postgresql+psycopg://u@db/crm"),
    ("sqlite:////tmp/x.sqlite", "sqlite:////tmp/x.sqlite"),
])
def test_database_url_sets_the_database(app, monkeypatch, url, expected):
    monkeypatch.setenv("DATABASE_URL", url)
    assert config.database_url(app) == expected


def test_without_database_url_the_database_is_a_file_in_the_instance_folder(app, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert config.database_url(app) == "sqlite:///" + app.instance_path + "/crm_sms.sqlite"
