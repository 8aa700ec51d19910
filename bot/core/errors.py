"""Exceptions of reshipbot: one root, a few specific ones.

User mistakes are not exceptions: they become a `Refusal` (chat) or a 4xx (HTTP).
These are for faults of the system around the rules: configuration, storage, platform.
"""


class ReshipbotError(Exception):
    """Root of every exception raised by reshipbot itself."""


class ConfigError(ReshipbotError):
    """A configuration value is missing or invalid; the message names the variable."""


class StorageError(ReshipbotError):
    """The store could not be reached or answered unexpectedly."""


class StorageUnavailable(StorageError):
    """The store is down or timed out; the caller may retry later (HTTP 503)."""


class PlatformError(ReshipbotError):
    """A call to the marketplace platform API failed."""
