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


NUMERIC = sorted(key for key, setting in config.DEFAULTS.items() if hasattr(setting.parse, "bounds"))


def test_every_numeric_setting_declares_its_bounds():
    numeric = {
        key
        for key, setting in config.DEFAULTS.items()
        if isinstance(setting.default, (int, float)) and not isinstance(setting.default, bool)
    }
    assert numeric and numeric == set(NUMERIC)
    for key in NUMERIC:
        low, high = config.DEFAULTS[key].parse.bounds
        assert low <= config.DEFAULTS[key].default <= high, key


def _bad_numbers():
    for key in NUMERIC:
        low, high = config.DEFAULTS[key].parse.bounds
        for value in ("nan", "inf", "-inf", "Infinity", "1e999", str(low - 1), str(high + 1), "lots", ""):
            yield key, value


@pytest.mark.parametrize("key, value", list(_bad_numbers()))
def test_a_number_that_is_not_finite_or_out_of_its_bounds_is_refused_naming_the_key(
    base_config, monkeypatch, key, value
):
    monkeypatch.setenv(config.PREFIX + key, value)
    with pytest.raises(ConfigError) as error:
        create_app({name: setting for name, setting in base_config.items() if name != config.PREFIX + key})
    assert str(error.value).startswith(config.PREFIX + key + ":")


@pytest.mark.parametrize("key", NUMERIC)
def test_a_number_at_either_bound_is_accepted(base_config, key):
    for bound in config.DEFAULTS[key].parse.bounds:
        app = create_app({**base_config, config.PREFIX + key: str(bound)})
        assert app.config[config.PREFIX + key] == bound


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("CRM_SMS_PROVIDER", "carrier-pigeon", "must be one of simulator, vonage"),
        ("CRM_SMS_PAGE_SIZE", "lots", "expected a whole number"),
        ("CRM_SMS_PAGE_SIZE", "100000000", "must be from 1 to 500"),
        ("CRM_SMS_PAGE_SIZE", "99999999999999999999", "must be from 1 to 500"),
        ("CRM_SMS_PAGE_SIZE", "2.5", "expected a whole number"),
        ("CRM_SMS_PROVIDER_RPS", "nan", "expected a finite number"),
        ("CRM_SMS_PROVIDER_RPS", "inf", "expected a finite number"),
        ("CRM_SMS_PROVIDER_RPS", "0", "must be from 0.1 to"),
        ("CRM_SMS_SWEEP_INTERVAL", "1", "must be from 5 to 3600"),
        ("CRM_SMS_REDIS_URL", "http://nowhere", "must start with redis://, rediss://, unix://"),
        ("CRM_SMS_REDIS_URL", "nowhere:6379", "must start with redis://"),
        ("CRM_SMS_QUEUE", "", "must not be empty"),
        ("CRM_SMS_QUEUE", "   ", "must not be empty"),
        ("CRM_SMS_QUEUE", "two words", "a queue name is letters"),
        ("CRM_SMS_CURRENCY", "", "must not be empty"),
        ("CRM_SMS_VONAGE_REST_HOST", " ", "must not be empty"),
        ("CRM_SMS_CONTENT_SECURITY_POLICY", "default-src 'self'\r\nX-Evil: 1", "control characters"),
        ("CRM_SMS_DEFAULT_REGION", "GB", "'GB' is not one of CRM_SMS_ALLOWED_REGIONS (US, CA)"),
        ("CRM_SMS_DEFAULT_REGION", "US,CA", "expected one region code"),
        ("CRM_SMS_DEFAULT_REGION", "XX", "'XX' is not a region code"),
        ("CRM_SMS_ALLOWED_REGIONS", "US,XX", "'XX' is not a region code"),
        ("CRM_SMS_CRM_PAGES", "maybe", "expected true or false"),
        ("CRM_SMS_SIMULATOR_FAIL_NUMBERS", "0123", "is not an E.164 number"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_key(base_config, monkeypatch, key, value, message):
    monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError) as error:
        create_app({name: setting for name, setting in base_config.items() if name != key})
    assert str(error.value).startswith(key + ":")
    assert message in str(error.value)


def test_vonage_provider_without_credentials_stops_start_up(base_config):
    with pytest.raises(ConfigError, match="CRM_SMS_VONAGE_API_KEY must be set"):
        create_app({**base_config, "CRM_SMS_PROVIDER": "vonage"})


VONAGE = {"CRM_SMS_PROVIDER": "vonage", "CRM_SMS_VONAGE_API_KEY": "key", "CRM_SMS_VONAGE_API_SECRET": "secret"}


def test_vonage_without_a_signature_secret_stops_start_up_naming_what_to_set(base_config):
    with pytest.raises(ConfigError) as error:
        create_app({**base_config, **VONAGE})
    assert "CRM_SMS_VONAGE_SIGNATURE_SECRET must be set" in str(error.value)
    assert "CRM_SMS_VONAGE_UNSIGNED_WEBHOOKS=1" in str(error.value)


def test_vonage_accepting_unsigned_webhooks_on_purpose_starts(base_config, monkeypatch):
    monkeypatch.setenv("CRM_SMS_VONAGE_UNSIGNED_WEBHOOKS", "1")

    app = create_app({**base_config, **VONAGE})

    assert app.config["CRM_SMS_VONAGE_UNSIGNED_WEBHOOKS"] is True


def test_vonage_with_a_signature_secret_starts(base_config):
    app = create_app({**base_config, **VONAGE, "CRM_SMS_VONAGE_SIGNATURE_SECRET": "sigsecret"})

    assert app.config["CRM_SMS_VONAGE_UNSIGNED_WEBHOOKS"] is False


def test_unknown_setting_is_a_programming_error(app):
    with pytest.raises(KeyError):
        config_value("NO_SUCH_THING")


@pytest.mark.parametrize(
    "url, expected",
    [
        ("postgres://u:p@db/crm", "postgresql+psycopg://u:p@db/crm"),
        ("postgresql://u@db/crm", "postgresql+psycopg://u@db/crm"),
        ("sqlite:////tmp/x.sqlite", "sqlite:////tmp/x.sqlite"),
    ],
)
def test_database_url_sets_the_database(app, monkeypatch, url, expected):
    monkeypatch.setenv("DATABASE_URL", url)
    assert config.database_url(app) == expected


def test_without_database_url_the_database_is_a_file_in_the_instance_folder(app, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert config.database_url(app) == "sqlite:///" + app.instance_path + "/crm_sms.sqlite"


@pytest.mark.parametrize(
    "key, value, expected",
    [
        ("CRM_SMS_REDIS_URL", "redis://localhost:6379/0", "redis://localhost:6379/0"),
        ("CRM_SMS_REDIS_URL", "rediss://cache.example:6380/1", "rediss://cache.example:6380/1"),
        ("CRM_SMS_REDIS_URL", "unix:///run/redis.sock", "unix:///run/redis.sock"),
        ("CRM_SMS_QUEUE", " sms-high ", "sms-high"),
        ("CRM_SMS_PROVIDER_RPS", "0.5", 0.5),
        ("CRM_SMS_PAGE_SIZE", "500", 500),
        ("CRM_SMS_DEFAULT_REGION", "ca", "CA"),
    ],
)
def test_a_good_value_is_accepted(base_config, key, value, expected):
    app = create_app({**base_config, key: value})
    assert app.config[key] == expected


@pytest.mark.parametrize("key", sorted(config.DEFAULTS))
def test_every_default_passes_its_own_check(key):
    setting = config.DEFAULTS[key]
    if setting.default is not None:
        setting.parse(setting.default)


def test_without_a_default_region_the_first_allowed_one_is_assumed(base_config, monkeypatch):
    monkeypatch.delenv("CRM_SMS_DEFAULT_REGION", raising=False)
    app = create_app({**base_config, "CRM_SMS_ALLOWED_REGIONS": "GB,IE"})
    assert app.config["CRM_SMS_DEFAULT_REGION"] == "GB"
