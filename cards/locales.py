"""Who reads a card or a text, in which language and on which clock (SPEC §2.2).

Locales are normalised to the ones the bot speaks (`es-MX` → `es`, unknown → `en`);
catalogs live in `cards/locales/<locale>/LC_MESSAGES/messages.mo`. A supported locale
without a catalog speaks English but keeps its own number and date formats.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.support import NullTranslations, Translations

from bot.core.models import Audience, ReshipmentRequest

SUPPORTED_LOCALES = ("en", "es", "id", "th", "vi")
DEFAULT_LOCALE = "en"
DEFAULT_TIMEZONE = "UTC"
LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "messages"

# Older or alternative language codes people's devices still send.
_ALIASES = {"in": "id"}


@lru_cache(maxsize=256)
def normalise_locale(tag: str | None) -> str:
    """The supported locale for a BCP 47 or POSIX tag: `es-MX`, `es_MX.UTF-8` → `es`.

    Anything unknown or empty → `en`.
    """
    if not tag:
        return DEFAULT_LOCALE
    language = tag.strip().replace("-", "_").split(".")[0].split("@")[0].split("_")[0].lower()
    language = _ALIASES.get(language, language)
    return language if language in SUPPORTED_LOCALES else DEFAULT_LOCALE


@lru_cache(maxsize=512)
def zone(name: str | None) -> ZoneInfo | None:
    """The IANA zone called `name`, or None when there is no such zone."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        return None


def reader(request: ReshipmentRequest | None, audience: Audience) -> tuple[str, str]:
    """`(locale, timezone)` of the person a card or text for `audience` is meant for.

    The buyer's timezone is not in the webhook: without one, the buyer sees times on the
    seller's clock (the shop's local time), as the rest of the request does. Without a
    request at all (a refusal before anything exists) it is English on UTC.
    """
    if request is None:
        return DEFAULT_LOCALE, DEFAULT_TIMEZONE
    seller = request.seller
    seller_zone = seller.timezone if zone(seller.timezone) else DEFAULT_TIMEZONE
    if audience is Audience.seller:
        return normalise_locale(seller.locale), seller_zone
    buyer = request.buyer
    if buyer.timezone is not None and zone(buyer.timezone) is not None:
        return normalise_locale(buyer.locale), buyer.timezone
    return normalise_locale(buyer.locale), seller_zone


def load_translations(locale: str, locales_dir: Path = LOCALES_DIR) -> NullTranslations:
    """The compiled catalog of `locale`; English (the msgids) when it has none yet."""
    return Translations.load(str(locales_dir), [locale], DOMAIN)
