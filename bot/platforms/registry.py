"""The platforms a deployment can choose with `RESHIPBOT_PLATFORM`, by name."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from bot.platforms.base import Platform, PlatformSettings
from bot.platforms.generic.platform import GenericPlatform

PLATFORMS: Mapping[str, Callable[[PlatformSettings], Platform]] = {
    GenericPlatform.name: GenericPlatform.from_settings,
}


def make_platform(name: str, settings: PlatformSettings) -> Platform:
    try:
        factory = PLATFORMS[name]
    except KeyError:
        raise ValueError(f"no platform named {name!r}; known: {', '.join(PLATFORMS)}") from None
    return factory(settings)
