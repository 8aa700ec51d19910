"""Configuration (SPEC §4): defaults, every variable, and messages that name the variable."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.errors import ConfigError
from bot.core.policy import Policy
from bot.runtime.config import (
    DEV_AGENT_TOKEN,
    DEV_APP_KEY,
    DEV_APP_SECRET,
    DEV_TOKEN_SECRET,
    Settings,
    load_settings,
)

SECRET_VALUES = {
    "RESHIPBOT_APP_SECRET": "s3cret-app-one,s3cret-app-two",
    "RESHIPBOT_AGENT_TOKEN": "s3cret-agent-token-aaaaaaaa",
    "RESHIPBOT_TOKEN_SECRET": "s3cret-token-secret-bbbbbbbb",
    "RESHIPBOT_REDIS_URL": "redis://:s3cret-redis-pw@10.0.0.5:6379/2",
}


def config_error(environ: dict[str, str]) -> str:
    with pytest.raises(ConfigError) as caught:
        load_settings(environ)
    return str(caught.value)


def test_defaults() -> None:
    settings = load_settings({})
    assert settings.app_key == DEV_APP_KEY
    assert [s.get_secret_value() for s in settings.app_secret] == [DEV_APP_SECRET]
    assert [s.get_secret_value() for s in settings.agent_token] == [DEV_AGENT_TOKEN]
    assert settings.token_signing_secret.get_secret_value() == DEV_TOKEN_SECRET
    assert settings.platform_url is None
    assert settings.redis_url is None
    assert (settings.host, settings.port) == ("127.0.0.1", 8080)
    assert settings.seller_response_window == timedelta(hours=48)
    assert settings.offer_window == timedelta(hours=24)
    assert settings.seller_reminder_before == timedelta(hours=12)
    assert settings.ship_working_days == 2
    assert settings.max_partial_offers == 1
    assert settings.max_body_bytes == 262144
    assert settings.max_event_age == timedelta(hours=24)
    assert settings.event_ttl == timedelta(hours=72)
    assert settings.log_level == "INFO"


def test_every_variable_is_read() -> None:
    settings = load_settings(
        {
            "RESHIPBOT_APP_KEY": "my_app_key",
            "RESHIPBOT_PLATFORM_URL": "https://open-api.example.com/",
            "RESHIPBOT_HOST": "0.0.0.0",
            "RESHIPBOT_PORT": "9090",
            "RESHIPBOT_SELLER_RESPONSE_WINDOW": "2d",
            "RESHIPBOT_OFFER_WINDOW": "90s",
            "RESHIPBOT_SELLER_REMINDER_BEFORE": "15m",
            "RESHIPBOT_SHIP_WORKING_DAYS": "3",
            "RESHIPBOT_MAX_PARTIAL_OFFERS": "0",
            "RESHIPBOT_MAX_BODY_BYTES": "1048576",
            "RESHIPBOT_MAX_EVENT_AGE": "1h",
            "RESHIPBOT_EVENT_TTL": "96h",
            "RESHIPBOT_LOG_LEVEL": "debug",
            **SECRET_VALUES,
        }
    )
    assert settings.app_key == "my_app_key"
    assert settings.platform_url == "https://open-api.example.com"
    assert settings.redis_url is not None
    assert settings.redis_url.get_secret_value() == SECRET_VALUES["RESHIPBOT_REDIS_URL"]
    assert [s.get_secret_value() for s in settings.agent_token] == ["s3cret-agent-token-aaaaaaaa"]
    assert settings.token_signing_secret.get_secret_value() == "s3cret-token-secret-bbbbbbbb"
    assert (settings.host, settings.port) == ("0.0.0.0", 9090)
    assert settings.seller_response_window == timedelta(days=2)
    assert settings.offer_window == timedelta(seconds=90)
    assert settings.seller_reminder_before == timedelta(minutes=15)
    assert settings.ship_working_days == 3
    assert settings.max_partial_offers == 0
    assert settings.max_body_bytes == 1048576
    assert settings.max_event_age == timedelta(hours=1)
    assert settings.event_ttl == timedelta(hours=96)
    assert settings.log_level == "DEBUG"
    assert settings.dev_warnings() == []


def test_names_are_case_insensitive_and_values_trimmed() -> None:
    settings = load_settings({"reshipbot_port": " 8081 ", "ReshipBot_Offer_Window": " 2h "})
    assert settings.port == 8081
    assert settings.offer_window == timedelta(hours=2)


def test_an_empty_variable_counts_as_unset() -> None:
    settings = load_settings({"RESHIPBOT_REDIS_URL": "", "RESHIPBOT_PORT": "  "})
    assert settings.redis_url is None
    assert settings.port == 8080


def test_comma_separated_secrets_are_a_tuple_and_the_first_signs() -> None:
    settings = load_settings(
        {
            "RESHIPBOT_APP_SECRET": " new-secret , old-secret ,",
            "RESHIPBOT_AGENT_TOKEN": "token-for-alice-xxxxxxx,token-for-bob-yyyyyyyyy",
            "RESHIPBOT_TOKEN_SECRET": "card-secret-new-zzzzzzz,card-secret-old-zzzzzzz",
        }
    )
    assert [s.get_secret_value() for s in settings.app_secret] == ["new-secret", "old-secret"]
    assert settings.signing_secret.get_secret_value() == "new-secret"
    assert len(settings.agent_token) == 2
    assert settings.token_signing_secret.get_secret_value() == "card-secret-new-zzzzzzz"
    assert [s.get_secret_value() for s in settings.token_secret][1] == "card-secret-old-zzzzzzz"


def test_load_settings_reads_the_process_environment_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RESHIPBOT_PORT", "9191")
    assert load_settings().port == 9191
    assert Settings().port == 9191
    assert load_settings({}).port == 8080  # an explicit mapping ignores the process's


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (
            "RESHIPBOT_OFFER_WINDOW",
            "3 days",
            "RESHIPBOT_OFFER_WINDOW: '3 days' is not a duration; "
            "write a number and a unit: 90s, 15m, 48h, 2d",
        ),
        ("RESHIPBOT_SELLER_RESPONSE_WINDOW", "0s", "RESHIPBOT_SELLER_RESPONSE_WINDOW: '0s'"),
        ("RESHIPBOT_SELLER_RESPONSE_WINDOW", "400d", "RESHIPBOT_SELLER_RESPONSE_WINDOW: '400d'"),
        ("RESHIPBOT_SELLER_REMINDER_BEFORE", "-1h", "RESHIPBOT_SELLER_REMINDER_BEFORE: '-1h'"),
        ("RESHIPBOT_MAX_EVENT_AGE", "1.5h", "RESHIPBOT_MAX_EVENT_AGE: '1.5h'"),
        ("RESHIPBOT_MAX_EVENT_AGE", "99999999999999d", "RESHIPBOT_MAX_EVENT_AGE: "),
        ("RESHIPBOT_PORT", "http", "RESHIPBOT_PORT: 'http' is not a whole number"),
        ("RESHIPBOT_PORT", "0", "RESHIPBOT_PORT: 0 is not between 1 and 65535"),
        ("RESHIPBOT_PORT", "65536", "RESHIPBOT_PORT: 65536 is not between 1 and 65535"),
        ("RESHIPBOT_PORT", "8080.5", "RESHIPBOT_PORT: '8080.5' is not a whole number"),
        ("RESHIPBOT_SHIP_WORKING_DAYS", "0", "RESHIPBOT_SHIP_WORKING_DAYS: 0 is not between"),
        ("RESHIPBOT_MAX_PARTIAL_OFFERS", "-1", "RESHIPBOT_MAX_PARTIAL_OFFERS: -1 is not"),
        ("RESHIPBOT_MAX_BODY_BYTES", "256k", "RESHIPBOT_MAX_BODY_BYTES: '256k' is not"),
        ("RESHIPBOT_PLATFORM", "shopify", "RESHIPBOT_PLATFORM: 'shopify' is not a platform"),
        ("RESHIPBOT_PLATFORM_URL", "ftp://x", "RESHIPBOT_PLATFORM_URL: 'ftp://x' is not"),
        ("RESHIPBOT_PLATFORM_URL", "example.com", "RESHIPBOT_PLATFORM_URL: 'example.com'"),
        ("RESHIPBOT_REDIS_URL", "localhost:6379", "RESHIPBOT_REDIS_URL: the value (not shown"),
        ("RESHIPBOT_APP_SECRET", " , ,", "RESHIPBOT_APP_SECRET: lists no value"),
        ("RESHIPBOT_AGENT_TOKEN", ",", "RESHIPBOT_AGENT_TOKEN: lists no value"),
        ("RESHIPBOT_HOST", "my host", "RESHIPBOT_HOST: 'my host' must be one word"),
        ("RESHIPBOT_LOG_LEVEL", "loud", "RESHIPBOT_LOG_LEVEL: 'loud' is not a log level"),
        ("RESHIPBOT_EVENT_TTL", "1h", "RESHIPBOT_EVENT_TTL: 1h is shorter than"),
    ],
)
def test_each_bad_value_names_its_variable(variable: str, value: str, message: str) -> None:
    error = config_error({variable: value})
    assert error.startswith(message)
    assert "\n" not in error
    assert "pydantic" not in error.lower()


def test_several_bad_values_give_one_line_each() -> None:
    error = config_error(
        {
            "RESHIPBOT_OFFER_WINDOW": "3 days",
            "RESHIPBOT_PORT": "99999",
            "RESHIPBOT_LOG_LEVEL": "chatty",
            "RESHIPBOT_SHIP_WORKING_DAYS": "two",
        }
    )
    lines = error.splitlines()
    assert len(lines) == 4
    assert {line.split(":")[0] for line in lines} == {
        "RESHIPBOT_OFFER_WINDOW",
        "RESHIPBOT_PORT",
        "RESHIPBOT_LOG_LEVEL",
        "RESHIPBOT_SHIP_WORKING_DAYS",
    }


def test_the_config_error_does_not_chain_the_validation_error() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"RESHIPBOT_PORT": "x"})
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_event_ttl_follows_a_long_max_event_age_unless_set() -> None:
    settings = load_settings({"RESHIPBOT_MAX_EVENT_AGE": "7d"})
    assert settings.event_ttl == timedelta(days=7, minutes=5)
    explicit = load_settings({"RESHIPBOT_MAX_EVENT_AGE": "7d", "RESHIPBOT_EVENT_TTL": "8d"})
    assert explicit.event_ttl == timedelta(days=8)
    error = config_error({"RESHIPBOT_MAX_EVENT_AGE": "7d", "RESHIPBOT_EVENT_TTL": "7d"})
    assert "RESHIPBOT_EVENT_TTL" in error and "RESHIPBOT_MAX_EVENT_AGE" in error


def test_event_ttl_may_be_short_when_event_age_is_short() -> None:
    settings = load_settings({"RESHIPBOT_MAX_EVENT_AGE": "1h", "RESHIPBOT_EVENT_TTL": "65m"})
    assert settings.event_ttl == timedelta(minutes=65)


# --- secrets stay secret -------------------------------------------------------------


def _secret_parts() -> list[str]:
    return [part for value in SECRET_VALUES.values() for part in value.split(",")] + [
        "s3cret-redis-pw"
    ]


def test_secrets_are_not_in_repr_or_str() -> None:
    settings = load_settings(SECRET_VALUES)
    shown = repr(settings) + str(settings) + settings.model_dump_json()
    for secret in _secret_parts():
        assert secret not in shown


def test_secrets_are_not_in_error_messages() -> None:
    environ = {
        **SECRET_VALUES,
        "RESHIPBOT_REDIS_URL": "http://:s3cret-redis-pw@10.0.0.5:6379/2",
        "RESHIPBOT_PLATFORM_URL": "https://user:s3cret-platform-pw@api.example.com",
        "RESHIPBOT_PORT": "nope",
    }
    error = config_error(environ)
    for secret in [*_secret_parts(), "s3cret-platform-pw"]:
        assert secret not in error
    assert "RESHIPBOT_REDIS_URL" in error and "RESHIPBOT_PLATFORM_URL" in error


def test_secrets_are_not_in_warnings() -> None:
    settings = load_settings({"RESHIPBOT_AGENT_TOKEN": "short-s3cret"})
    warnings = " ".join(settings.dev_warnings())
    assert "RESHIPBOT_AGENT_TOKEN has a value shorter than 16 characters" in warnings
    assert "short-s3cret" not in warnings


# --- warnings ------------------------------------------------------------------------


def test_dev_defaults_are_warned_about_by_variable() -> None:
    warnings = load_settings({}).dev_warnings()
    for variable in (
        "RESHIPBOT_APP_KEY",
        "RESHIPBOT_APP_SECRET",
        "RESHIPBOT_AGENT_TOKEN",
        "RESHIPBOT_TOKEN_SECRET",
    ):
        assert any(warning.startswith(variable) for warning in warnings)
    assert not any(value in " ".join(warnings) for value in (DEV_APP_SECRET, DEV_AGENT_TOKEN))


def test_a_dev_value_set_explicitly_is_still_warned_about() -> None:
    warnings = load_settings({"RESHIPBOT_APP_SECRET": f"real-secret,{DEV_APP_SECRET}"})
    assert any(w.startswith("RESHIPBOT_APP_SECRET") for w in warnings.dev_warnings())


def test_unknown_variables_are_warned_about_with_a_suggestion() -> None:
    settings = load_settings(
        {"RESHIPBOT_OFFER_WINDOWS": "1h", "RESHIPBOT_TEST_REDIS_URL": "x", "OTHER": "y"}
    )
    unknown = [w for w in settings.dev_warnings() if "not a reshipbot setting" in w]
    assert unknown == [
        "RESHIPBOT_OFFER_WINDOWS is not a reshipbot setting and is ignored "
        "(did you mean RESHIPBOT_OFFER_WINDOW?)"
    ]


def test_a_reminder_not_before_the_deadline_is_warned_about() -> None:
    settings = load_settings(
        {"RESHIPBOT_SELLER_RESPONSE_WINDOW": "12h", "RESHIPBOT_SELLER_REMINDER_BEFORE": "12h"}
    )
    assert any("sellers get no reminder" in warning for warning in settings.dev_warnings())


# --- policy --------------------------------------------------------------------------


def test_policy_maps_the_settings() -> None:
    settings = load_settings(
        {
            "RESHIPBOT_SELLER_RESPONSE_WINDOW": "36h",
            "RESHIPBOT_OFFER_WINDOW": "6h",
            "RESHIPBOT_SELLER_REMINDER_BEFORE": "2h",
            "RESHIPBOT_SHIP_WORKING_DAYS": "5",
            "RESHIPBOT_MAX_PARTIAL_OFFERS": "2",
        }
    )
    policy = settings.policy()
    assert policy == Policy(
        seller_response_window=timedelta(hours=36),
        offer_window=timedelta(hours=6),
        seller_reminder_before=timedelta(hours=2),
        ship_working_days=5,
        max_partial_offers=2,
    )


def test_default_policy_is_the_spec_default() -> None:
    assert load_settings({}).policy() == Policy()


def test_settings_are_frozen() -> None:
    settings = load_settings({})
    with pytest.raises(ValueError, match="frozen"):
        settings.port = 1  # type: ignore[misc]
