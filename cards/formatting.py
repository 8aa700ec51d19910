"""Values formatted for one reader: their locale's words and numbers, their own clock.

`ReaderLocale` holds what is fixed per locale (catalog, Babel locale, patterns) and is
built once; `ReaderFormat` adds the reader's timezone and is cheap to make per render.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime, match_skeleton
from babel.numbers import format_currency, format_decimal, get_currency_symbol
from babel.support import NullTranslations

from bot.core.effects import Money, ParamValue
from bot.core.messages import LABELS, N_
from bot.core.models import RejectCode, TrackingEvent
from bot.core.registry import REGISTRY
from cards.locales import DEFAULT_TIMEZONE, zone
from cards.usage import translate_usage

NBSP = "\u00a0"

# Parameters whose values are enum values with a label in `bot.messages.LABELS`. (`code`,
# an unknown reject code as typed, is echoed as typed.)
LABELLED_PARAMS = frozenset({"status", "shipment_status", "reason", "shipping_option"})
REJECT_CODES = frozenset(code.value for code in RejectCode)

EVENT_LINE = N_("%(when)s — %(status)s: %(description)s")
EVENT_LINE_BARE = N_("%(when)s — %(status)s")
NO_EVENTS = N_("No tracking events yet.")
# TRANSLATORS: a reject code and what it means, in the list of codes a seller may use.
REJECT_CODE_ITEM = N_("%(code)s (%(meaning)s)")

# Short weekday, day, month and 24-hour time, as each language writes them (from CLDR's
# MMMEd and Hm, fixed here so that a Babel upgrade cannot silently change every card):
# "Fri 27 Nov, 21:00", "vie, 27 nov, 21:00", "Jum, 27 Nov, 21.00", "ศ. 27 พ.ย. 21:00 น.",
# "21:00 Th 6, 27 thg 11". The reader's timezone is added after it in parentheses.
_MOMENT_PATTERNS = {
    "en": "EEE d MMM, HH:mm",
    "es": "EEE, d MMM, H:mm",
    "id": "EEE, d MMM, HH.mm",
    "th": "EEE d MMM HH:mm น.",
    "vi": "H:mm EEE, d MMM",
}


def moment_pattern(locale: Locale) -> str:
    """A short weekday-day-month-time pattern for `locale`, 24-hour, without the year."""
    if locale.language in _MOMENT_PATTERNS:
        return _MOMENT_PATTERNS[locale.language]
    # Any other locale: CLDR's own arrangement.
    skeletons = locale.datetime_skeletons
    day = skeletons[match_skeleton("MMMEd", skeletons) or "MMMEd"].pattern
    time = skeletons[match_skeleton("Hm", skeletons) or "Hm"].pattern
    glue = str(locale.datetime_formats.get("medium", "{1} {0}"))
    # CLDR glue patterns quote literal text with apostrophes ("{1} 'at' {0}").
    return glue.replace("{1}", day).replace("{0}", time)


@lru_cache(maxsize=256)
def _currency_symbol(currency: str, locale: Locale) -> str:
    return str(get_currency_symbol(currency, locale))


def _is_letter_edge(char: str) -> bool:
    """CLDR currencySpacing: symbols ending in a letter get a space next to digits."""
    return unicodedata.category(char)[0] not in ("S", "Z")


def _space_currency(text: str, symbol: str) -> str:
    """`THB1,234.50` → `THB 1,234.50` (with a no-break space), as ICU does; Babel doesn't."""
    at = text.find(symbol)
    if at < 0 or not symbol:
        return text
    end = at + len(symbol)
    if end < len(text) and text[end].isdigit() and _is_letter_edge(symbol[-1]):
        return text[:end] + NBSP + text[end:]
    if at > 0 and text[at - 1].isdigit() and _is_letter_edge(symbol[0]):
        return text[:at] + NBSP + text[at:]
    return text


# The same few amounts and deadlines are rendered again and again (every card update of
# a request, both parties' texts): formatting them once each keeps rendering fast.
@lru_cache(maxsize=4096)
def _money(locale: Locale, amount: Decimal, currency: str) -> str:
    text = format_currency(amount, currency, locale=locale, currency_digits=True)
    return _space_currency(text, _currency_symbol(currency, locale))


@lru_cache(maxsize=4096)
def _moment(locale: Locale, pattern: str, at: datetime, timezone: str) -> str:
    tz = zone(timezone)
    if tz is None:
        tz, timezone = ZoneInfo(DEFAULT_TIMEZONE), DEFAULT_TIMEZONE
    if at.tzinfo is None:  # the rules only make aware moments; never guess a zone
        at = at.replace(tzinfo=UTC)
    local = at.astimezone(tz)
    return f"{format_datetime(local, pattern, locale=locale)} ({timezone})"


class ReaderLocale:
    """Everything fixed for readers of one locale: catalog, number and date formats."""

    def __init__(self, code: str, translations: NullTranslations) -> None:
        self.code = code
        self.locale = Locale.parse(code)
        self.translations = translations
        self.moment_pattern = moment_pattern(self.locale)

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def label(self, value: str) -> str:
        """The translated label of an enum value; the value itself when it has none."""
        english = LABELS.get(value)
        return self.gettext(english) if english is not None else value

    def money(self, amount: Decimal, currency: str) -> str:
        """`$1,234.50`, `¥1,234`, `THB 1,234.50`: the currency's ISO 4217 digits."""
        return _money(self.locale, amount, currency)

    def number(self, value: int) -> str:
        if -1000 < value < 1000:  # no separators to place; Babel would only cost time
            return str(value)
        return str(format_decimal(value, locale=self.locale))

    def moment(self, at: datetime, timezone: str) -> str:
        """`Thu 27 Nov, 14:05 (Asia/Bangkok)`: local time of `timezone`, named after it."""
        return _moment(self.locale, self.moment_pattern, at, timezone)


class ReaderFormat:
    """One reader's view: their locale (`ReaderLocale`) and their timezone."""

    def __init__(self, kit: ReaderLocale, timezone: str) -> None:
        self.kit = kit
        self.timezone = timezone

    def gettext(self, message: str) -> str:
        return self.kit.gettext(message)

    def label(self, value: str) -> str:
        return self.kit.label(value)

    def money(self, amount: Decimal, currency: str) -> str:
        return self.kit.money(amount, currency)

    def moment(self, at: datetime | None) -> str | None:
        return None if at is None else self.kit.moment(at, self.timezone)

    def event(self, event: TrackingEvent) -> str:
        """One tracking event: when (on the reader's clock), what, and the carrier's words."""
        values = {
            "when": self.kit.moment(event.occurred_at, self.timezone),
            "status": self.label(event.status.value),
            "description": event.description.strip(),
        }
        pattern = EVENT_LINE if values["description"] else EVENT_LINE_BARE
        return self.gettext(pattern) % values

    def param(self, name: str, value: ParamValue) -> str:
        """A chat text parameter as this reader should read it."""
        if isinstance(value, Money):
            return self.money(value.amount, value.currency)
        if isinstance(value, datetime):
            return self.kit.moment(value, self.timezone)
        if isinstance(value, int):
            return self.kit.number(value)
        if isinstance(value, str):
            if name == "usage":
                return translate_usage(value, self.gettext)
            return self.label(value) if name in LABELLED_PARAMS else value
        return self._sequence(name, value)

    def _sequence(self, name: str, values: tuple[str, ...] | tuple[TrackingEvent, ...]) -> str:
        if name == "events" or any(isinstance(item, TrackingEvent) for item in values):
            events = [self.event(item) for item in values if isinstance(item, TrackingEvent)]
            return "\n".join(events) if events else self.gettext(NO_EVENTS)
        words = [str(item) for item in values]
        if name == "commands":
            return "\n".join(self._command_help(word) for word in words)
        if name == "codes":
            return ", ".join(self._reject_code(word) for word in words)
        return ", ".join(words)

    def _reject_code(self, code: str) -> str:
        """`evidence_insufficient (the evidence is not sufficient)`: typed as is, explained."""
        if code not in REJECT_CODES:
            return code
        return self.gettext(REJECT_CODE_ITEM) % {"code": code, "meaning": self.label(code)}

    def _command_help(self, word: str) -> str:
        """The command's declared /help line, in the reader's words."""
        declared = REGISTRY.by_word(word)
        return self.gettext(declared.help) if declared is not None else word


class FormattedParams:
    """Text parameters formatted on first use, for `str.format_map`.

    A placeholder without a parameter stays visible as `{name}` rather than failing the
    delivery of the whole message.
    """

    def __init__(self, fmt: ReaderFormat, params: Mapping[str, ParamValue]) -> None:
        self._fmt = fmt
        self._params = params

    def __getitem__(self, key: str) -> str:
        if key not in self._params:
            return "{" + key + "}"
        return self._fmt.param(key, self._params[key])
