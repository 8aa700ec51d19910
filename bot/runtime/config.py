"""Configuration from the environment (SPEC §4), prefix `RESHIPBOT_`.

`load_settings()` is the one entry point: it raises `ConfigError` naming each bad
variable, one line each, and nothing else. Secrets are `SecretStr` and never appear in
a repr, a message or a chained exception.

Behaviour worth knowing:
- An empty variable counts as unset (so `RESHIPBOT_REDIS_URL=` means the embedded store).
- `APP_SECRET`, `AGENT_TOKEN` and `TOKEN_SECRET` take comma-separated lists for rotation;
  the first signs, all verify. Entries are trimmed; a secret cannot contain a comma.
- Durations are `90s`, `15m`, `48h`, `2d`, at most 365 days.
- `EVENT_TTL` (how long processed-event markers live) defaults to 72 h, or longer when
  `MAX_EVENT_AGE` needs it; an explicit value must cover `MAX_EVENT_AGE` plus the 5 min
  an event may be ahead, or a replayed event could be processed twice.
- Unknown `RESHIPBOT_*` variables are reported by `dev_warnings()`, not refused
  (except `RESHIPBOT_TEST_*` and `RESHIPBOT_REQUIRE_*`, the test fixtures' switches).
"""

from __future__ import annotations

import difflib
import ipaddress
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bot.core.durations import format_duration, parse_duration
from bot.core.errors import ConfigError
from bot.core.policy import Policy
from bot.platforms.registry import PLATFORMS

ENV_PREFIX = "RESHIPBOT_"

DEV_APP_KEY = "reshipbot-dev-app-key"
DEV_APP_SECRET = "reshipbot-dev-app-secret"
DEV_AGENT_TOKEN = "reshipbot-dev-agent-token"
DEV_TOKEN_SECRET = "reshipbot-dev-token-secret"

MAX_FUTURE_SKEW = timedelta(minutes=5)
"""How far ahead of the bot's clock an event's `timestamp` may be (SPEC §3.1)."""

MIN_EVENT_TTL = timedelta(hours=72)
MIN_STRONG_SECRET = 16

SECRET_FIELDS = frozenset(
    {"app_secret", "agent_token", "token_secret", "redis_url", "metrics_token"}
)
_SECRET_LISTS = ("app_secret", "agent_token", "token_secret")
_DURATION_LIMITS: dict[str, tuple[timedelta, timedelta]] = {
    "seller_response_window": (timedelta(seconds=1), timedelta(days=365)),
    "offer_window": (timedelta(seconds=1), timedelta(days=365)),
    "seller_reminder_before": (timedelta(0), timedelta(days=365)),
    "max_event_age": (timedelta(seconds=1), timedelta(days=30)),
    "event_ttl": (timedelta(seconds=1), timedelta(days=365)),
    "worker_lease": (timedelta(seconds=1), timedelta(hours=1)),
    "body_timeout": (timedelta(seconds=1), timedelta(minutes=1)),
}
_INT_LIMITS: dict[str, tuple[int, int]] = {
    "port": (1, 65535),
    "max_connections": (1, 1_000_000),
    "max_connections_per_ip": (1, 1_000_000),
    "ship_working_days": (1, 30),
    "max_partial_offers": (0, 10),
    "max_body_bytes": (1024, 64 * 1024 * 1024),
    "outbox_concurrency": (1, 1024),
    "timer_concurrency": (1, 1024),
    "commands_per_minute": (1, 10_000),
}

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
_TOOL_PREFIXES = (ENV_PREFIX + "TEST_", ENV_PREFIX + "REQUIRE_")  # test fixtures' switches
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

_environ: ContextVar[Mapping[str, str] | None] = ContextVar("reshipbot_environ", default=None)


def env_name(field_name: str) -> str:
    return ENV_PREFIX + field_name.upper()


class Settings(BaseSettings):
    """Every setting of SPEC §4 plus a few the service needs; see the module docstring."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="forbid")

    app_key: str = DEV_APP_KEY
    app_secret: tuple[SecretStr, ...] = (SecretStr(DEV_APP_SECRET),)
    platform: str = "generic"
    platform_url: str | None = None
    redis_url: SecretStr | None = None
    redis_prefix: str = Field(default="rb", pattern=r"^[A-Za-z0-9_.-]{1,32}$")
    agent_token: tuple[SecretStr, ...] = (SecretStr(DEV_AGENT_TOKEN),)
    token_secret: tuple[SecretStr, ...] = (SecretStr(DEV_TOKEN_SECRET),)
    host: str = "127.0.0.1"
    port: int = 8080
    seller_response_window: timedelta = timedelta(hours=48)
    offer_window: timedelta = timedelta(hours=24)
    seller_reminder_before: timedelta = timedelta(hours=12)
    ship_working_days: int = 2
    max_partial_offers: int = 1
    max_body_bytes: int = 262144
    body_timeout: timedelta = timedelta(seconds=2)
    max_connections: int = 1024
    max_connections_per_ip: int = 128
    metrics_token: SecretStr | None = None
    max_event_age: timedelta = timedelta(hours=24)
    event_ttl: timedelta = Field(default=MIN_EVENT_TTL)
    worker_lease: timedelta = timedelta(seconds=30)
    outbox_concurrency: int = 8
    timer_concurrency: int = 32
    commands_per_minute: int = 20
    log_level: LogLevel = "INFO"

    _ignored_variables: tuple[str, ...] = PrivateAttr(default=())

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        environ = _environ.get()
        return init_settings, _EnvironSource(
            settings_cls, os.environ if environ is None else environ
        )

    # --- parsing ---------------------------------------------------------------------

    @field_validator("app_key", "host", mode="before")
    @classmethod
    def _non_empty_word(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip()
            if not value or any(char.isspace() for char in value):
                raise ValueError(f"{value!r} must be one word without spaces")
        return value

    @field_validator(*_SECRET_LISTS, mode="before")
    @classmethod
    def _secret_list(cls, value: object) -> object:
        if isinstance(value, str | SecretStr):
            raw = value.get_secret_value() if isinstance(value, SecretStr) else value
            value = [part.strip() for part in raw.split(",") if part.strip()]
        if isinstance(value, list | tuple) and not value:
            raise ValueError("lists no value; give one or more, comma-separated")
        return value

    @field_validator("metrics_token", mode="before")
    @classmethod
    def _one_secret(cls, value: object) -> object:
        raw = value.get_secret_value() if isinstance(value, SecretStr) else value
        if isinstance(raw, str) and any(char.isspace() for char in raw.strip()):
            raise ValueError("must be one word without spaces (the value is not shown)")
        return raw.strip() if isinstance(raw, str) else value

    @field_validator("platform")
    @classmethod
    def _known_platform(cls, value: str) -> str:
        if value not in PLATFORMS:
            raise ValueError(f"{value!r} is not a platform this bot knows: {', '.join(PLATFORMS)}")
        return value

    @field_validator("platform_url", mode="before")
    @classmethod
    def _platform_url(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        parts = urlsplit(value.strip())
        if "@" in parts.netloc:
            raise ValueError("must not contain credentials (the value is not shown)")
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
            raise ValueError(f"{value!r} is not an http(s) base URL like https://api.example.com")
        return value.strip().rstrip("/")

    @field_validator("redis_url", mode="before")
    @classmethod
    def _redis_url(cls, value: object) -> object:
        raw = value.get_secret_value() if isinstance(value, SecretStr) else value
        if isinstance(raw, str) and urlsplit(raw.strip()).scheme not in ("redis", "rediss", "unix"):
            raise ValueError(
                "the value (not shown: it may hold a password) is not a Redis URL; "
                "write redis://HOST:PORT/DB, rediss://HOST:PORT/DB or unix:///PATH"
            )
        return raw.strip() if isinstance(raw, str) else value

    @field_validator(*_INT_LIMITS, mode="before")
    @classmethod
    def _bounded_int(cls, value: object, info: ValidationInfo) -> object:
        low, high = _INT_LIMITS[str(info.field_name)]
        if isinstance(value, str):
            text = value.strip()
            if not text.isascii() or not text.lstrip("+-").isdigit():
                raise ValueError(f"{value!r} is not a whole number")
            value = int(text)
        if isinstance(value, int) and not low <= value <= high:
            raise ValueError(f"{value!r} is not between {low} and {high}")
        return value

    @field_validator(*_DURATION_LIMITS, mode="before")
    @classmethod
    def _bounded_duration(cls, value: object, info: ValidationInfo) -> object:
        low, high = _DURATION_LIMITS[str(info.field_name)]
        if isinstance(value, str):
            original, value = value, parse_duration(value)
        elif isinstance(value, timedelta):
            original = format_duration(value)
        else:
            raise ValueError(f"{value!r} is not a duration; write a number and a unit: 2d")
        if value < low:
            raise ValueError(f"{original!r} is too short; the least is {format_duration(low)}")
        if value > high:
            raise ValueError(f"{original!r} is too long; the most is {format_duration(high)}")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _log_level(cls, value: object) -> object:
        if isinstance(value, str):
            level = value.strip().upper()
            if level not in _LOG_LEVELS:
                raise ValueError(
                    f"{value!r} is not a log level; use one of {', '.join(_LOG_LEVELS)}"
                )
            return level
        return value

    @model_validator(mode="before")
    @classmethod
    def _default_event_ttl(cls, data: Any) -> Any:
        """Without an explicit `EVENT_TTL`, markers outlive `MAX_EVENT_AGE` + skew, ≥ 72 h."""
        if not isinstance(data, dict) or data.get("event_ttl") is not None:
            return data
        age = data.get("max_event_age")
        try:
            age_delta = parse_duration(age) if isinstance(age, str) else age
        except ValueError:
            return data  # the field validator reports it
        if isinstance(age_delta, timedelta):
            data = {**data, "event_ttl": max(MIN_EVENT_TTL, age_delta + MAX_FUTURE_SKEW)}
        return data

    @model_validator(mode="after")
    def _event_ttl_covers_event_age(self) -> Settings:
        needed = self.max_event_age + MAX_FUTURE_SKEW
        if self.event_ttl < needed:
            raise ValueError(
                f"{env_name('event_ttl')}: {format_duration(self.event_ttl)} is shorter than "
                f"{env_name('max_event_age')} ({format_duration(self.max_event_age)}) plus "
                f"{format_duration(MAX_FUTURE_SKEW)}; processed-event markers must outlive "
                f"every event that may still arrive: use at least {format_duration(needed)}"
            )
        return self

    # --- use -------------------------------------------------------------------------

    @property
    def signing_secret(self) -> SecretStr:
        """The `APP_SECRET` that signs outbound calls (the first listed)."""
        return self.app_secret[0]

    @property
    def token_signing_secret(self) -> SecretStr:
        """The `TOKEN_SECRET` that signs card action tokens (the first listed)."""
        return self.token_secret[0]

    def platform_options(self) -> dict[str, Any]:
        """The chosen platform's own settings (`<platform>_<option>` fields), by option."""
        prefix = f"{self.platform}_"
        return {
            name.removeprefix(prefix): getattr(self, name)
            for name in type(self).model_fields
            if name.startswith(prefix)
        }

    def policy(self) -> Policy:
        return Policy(
            seller_response_window=self.seller_response_window,
            offer_window=self.offer_window,
            seller_reminder_before=self.seller_reminder_before,
            ship_working_days=self.ship_working_days,
            max_partial_offers=self.max_partial_offers,
        )

    def dev_warnings(self) -> list[str]:
        """Warnings to print at start-up: dev defaults, weak secrets, ignored variables."""
        warnings = [
            f"{env_name(name)} is not set: using the development value, {why}"
            for name, dev_value, why in (
                ("app_key", DEV_APP_KEY, "which the platform will not accept"),
                ("app_secret", DEV_APP_SECRET, "which the platform will not accept"),
                ("agent_token", DEV_AGENT_TOKEN, "so anyone can read the agent API"),
                ("token_secret", DEV_TOKEN_SECRET, "so card tokens can be forged"),
            )
            if _uses(getattr(self, name), dev_value)
        ]
        warnings += [
            f"{env_name(name)} has a value shorter than {MIN_STRONG_SECRET} characters; "
            "use a long random value"
            for name in ("agent_token", "token_secret")
            if any(
                len(secret.get_secret_value()) < MIN_STRONG_SECRET for secret in getattr(self, name)
            )
        ]
        if self.seller_reminder_before >= self.seller_response_window:
            warnings.append(
                f"{env_name('seller_reminder_before')} is not shorter than "
                f"{env_name('seller_response_window')}: sellers get no reminder"
            )
        warnings += [_ignored_warning(variable) for variable in self._ignored_variables]
        return warnings


def _uses(value: str | tuple[SecretStr, ...], dev_value: str) -> bool:
    if isinstance(value, str):
        return value == dev_value
    return any(secret.get_secret_value() == dev_value for secret in value)


def _ignored_warning(variable: str) -> str:
    known = [env_name(name) for name in Settings.model_fields]
    close = difflib.get_close_matches(variable, known, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return f"{variable} is not a reshipbot setting and is ignored{hint}"


class _EnvironSource(PydanticBaseSettingsSource):
    """`RESHIPBOT_*` variables of one mapping, raw strings; names are case-insensitive."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        super().__init__(settings_cls)
        self._values = _prefixed(environ)

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self._values.get(env_name(field_name)), field_name, False

    def __call__(self) -> dict[str, Any]:
        return {
            name: self._values[env_name(name)]
            for name in self.settings_cls.model_fields
            if env_name(name) in self._values
        }


def _prefixed(environ: Mapping[str, str]) -> dict[str, str]:
    """Non-empty `RESHIPBOT_*` variables, names upper-cased."""
    return {
        name.upper(): value
        for name, value in environ.items()
        if name.upper().startswith(ENV_PREFIX) and value.strip()
    }


@contextmanager
def _reading(environ: Mapping[str, str]) -> Iterator[None]:
    token = _environ.set(environ)
    try:
        yield
    finally:
        _environ.reset(token)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from `environ` (default: the process environment).

    Raises `ConfigError` with one line per bad variable, each naming it; no other error
    escapes, and the pydantic error (which holds the raw values) is not chained.
    """
    source = os.environ if environ is None else environ
    try:
        with _reading(source):
            settings = Settings()
    except ValidationError as error:
        raise ConfigError(_describe(error)) from None
    known = {env_name(name) for name in Settings.model_fields}
    unknown = set(_prefixed(source)) - known
    settings._ignored_variables = tuple(
        sorted(u for u in unknown if not u.startswith(_TOOL_PREFIXES))
    )
    return settings


def _describe(error: ValidationError) -> str:
    lines = []
    for detail in error.errors(include_input=False, include_url=False):
        message = str(detail["ctx"]["error"]) if detail["type"] == "value_error" else detail["msg"]
        location = detail["loc"]
        if location:
            lines.append(f"{env_name(str(location[0]))}: {message}")
        else:
            lines.append(message)  # a check of several variables names them itself
    return "\n".join(lines)


def is_loopback(host: str) -> bool:
    """Whether listening on `host` is reachable from this machine only."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
