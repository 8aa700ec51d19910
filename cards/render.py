"""Cards and chat texts for one reader, rendered from the request as it is now.

    renderer = Renderer(tokens, policy)
    card = renderer.card(request, "RQ1.request.seller")      # a validated `Card`
    text = renderer.text("request_received", params, "th", "Asia/Bangkok")

Pure: rendering reads the request and the catalogs, and never sends anything. A card is
rendered at its current `CardState` (version and status), in its reader's locale and
timezone, with one signed token per button that binds request, card, version, action
and the reader (SPEC §2.2).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from pathlib import Path

import orjson
from jinja2 import Environment, Template, TemplateError
from pydantic import ValidationError

from bot.core.availability import card_actions
from bot.core.effects import ParamValue
from bot.core.errors import ReshipbotError
from bot.core.messages import MESSAGES
from bot.core.models import Audience, CardKind, CardState, ReshipmentRequest
from bot.core.policy import Policy
from bot.core.tokens import TokenClaims, TokenSigner
from cards.context import card_context
from cards.environment import make_environment
from cards.formatting import FormattedParams, ReaderFormat, ReaderLocale
from cards.locales import LOCALES_DIR, SUPPORTED_LOCALES, load_translations, normalise_locale
from cards.locales import reader as reader_of
from cards.model import Card

log = logging.getLogger("reshipbot.cards")

TEMPLATE_NAMES = {kind: f"{kind.value}.json.j2" for kind in CardKind}


class RenderError(ReshipbotError):
    """A card or text could not be rendered: a bug in a template, a catalog or a caller."""


class _Speaker:
    """One locale's catalog, formats and template environment, built once and kept."""

    def __init__(self, code: str, locales_dir: Path) -> None:
        self.kit = ReaderLocale(code, load_translations(code, locales_dir))
        self.env: Environment = make_environment(self.kit.translations)
        self.templates: dict[CardKind, Template] = {
            kind: self.env.get_template(name) for kind, name in TEMPLATE_NAMES.items()
        }


class Renderer:
    def __init__(
        self, tokens: TokenSigner, policy: Policy, locales_dir: Path = LOCALES_DIR
    ) -> None:
        self._tokens = tokens
        self._policy = policy
        self._locales_dir = locales_dir
        self._speakers: dict[str, _Speaker] = {}

    def _speaker(self, locale: str) -> _Speaker:
        code = normalise_locale(locale)
        speaker = self._speakers.get(code)
        if speaker is None:
            speaker = self._speakers[code] = _Speaker(code, self._locales_dir)
        return speaker

    def preload(self, locales: Iterable[str] = SUPPORTED_LOCALES) -> None:
        """Load catalogs and compile templates now rather than on each locale's first card.

        For a service starting up: about 60 ms for the five locales, once per process.
        """
        for locale in locales:
            self._speaker(locale)

    def environment(self, locale: str) -> Environment:
        """The Jinja environment of `locale` (cached), e.g. to inspect its templates."""
        return self._speaker(locale).env

    @staticmethod
    def reader(request: ReshipmentRequest | None, audience: Audience) -> tuple[str, str]:
        """`(locale, timezone)` of the reader of a card or text for `audience`."""
        return reader_of(request, audience)

    def card(self, request: ReshipmentRequest, card_id: str) -> Card:
        """The card `card_id` of `request` at its current version, validated."""
        state = request.card(card_id)
        if state is None:
            raise RenderError(f"request {request.request_id} has no card {card_id!r}")
        locale, timezone = reader_of(request, state.audience)
        speaker = self._speaker(locale)
        fmt = ReaderFormat(speaker.kit, timezone)
        context = card_context(request, state, fmt, self._buttons(request, state))
        try:
            rendered = speaker.templates[state.kind].render(context)
            return Card.model_validate(orjson.loads(rendered))
        except (TemplateError, orjson.JSONDecodeError, ValidationError) as error:
            raise RenderError(f"card {card_id} v{state.version} ({locale}): {error}") from error

    def _buttons(self, request: ReshipmentRequest, state: CardState) -> list[tuple[str, str]]:
        """`(action, token)` for each action the card offers now, signed for its reader."""
        role = state.audience.value
        seller_card = state.audience is Audience.seller
        actor_id = request.seller.id if seller_card else request.buyer.id
        buttons = []
        for action in card_actions(request, state, self._policy):
            claims = TokenClaims(
                request_id=request.request_id,
                card_id=state.card_id,
                version=state.version,
                action=action,
                role=role,
                actor_id=actor_id,
            )
            buttons.append((action, self._tokens.sign(claims)))
        return buttons

    def text(
        self, message: str, params: Mapping[str, ParamValue], locale: str, timezone: str
    ) -> str:
        """The chat text `message` (an id of `bot.messages.MESSAGES`) for one reader."""
        english = MESSAGES.get(message)
        if english is None:
            raise RenderError(f"there is no message {message!r}")
        kit = self._speaker(locale).kit
        values = FormattedParams(ReaderFormat(kit, timezone), params)
        translated = kit.gettext(english)
        try:
            return translated.format_map(values)
        except (ValueError, IndexError, KeyError, AttributeError) as error:
            # A broken translation must not keep the reader from being told: say it in English.
            log.warning(
                "broken translation of %s in %s: %s",
                message,
                kit.code,
                error,
                extra={"message_id": message, "locale": kit.code},
            )
            return english.format_map(values)
