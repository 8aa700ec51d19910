"""The card template environment: JSON-encoded output, strict about missing values."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson
import pytest
from babel.support import NullTranslations
from jinja2 import DictLoader, Environment, UndefinedError

from bot.core.models import CardKind
from cards import context as context_module
from cards import render as render_module
from cards.environment import json_output, make_environment
from cards.locales import SUPPORTED_LOCALES
from cards.render import Renderer, RenderError
from tests.cards.builders import created, offered


def environment(**templates: str) -> Environment:
    return make_environment(NullTranslations(), DictLoader(templates))


def test_every_expression_is_json_encoded() -> None:
    env = environment(
        t='{"s": {{ s }}, "n": {{ n }}, "none": {{ none }}, "list": {{ [s, n] }}, '
        '"map": {{ {"k": s} }}, "t": {{ _("Hi %(who)s", who=s) }}}'
    )
    s = '"}, "x": "\\ \n {{ 7*7 }} %(who)s'
    data = orjson.loads(env.get_template("t").render(s=s, n=3))
    assert data == {"s": s, "n": 3, "none": None, "list": [s, 3], "map": {"k": s}, "t": f"Hi {s}"}


@pytest.mark.parametrize(
    "source",
    [
        '{"a": {{ missing }}}',
        '{"a": {{ [1, missing] }}}',
        '{"a": {{ {"k": missing} }}}',
        '{"a": {{ present.missing }}}',
        '{"a": {{ _("x %(v)s", v=missing) }}}',
        "{% for x in missing %}{% endfor %}",
    ],
)
def test_a_missing_value_fails(source: str) -> None:
    env = environment(t=source)
    with pytest.raises(UndefinedError):
        env.get_template("t").render(present={"here": 1})


def test_values_json_cannot_write_are_refused_not_stringified() -> None:
    with pytest.raises(TypeError):
        json_output(Decimal("1.00"))
    with pytest.raises(TypeError):
        json_output([object()])


def test_a_real_template_fails_when_its_context_lacks_a_value(renderer: Renderer) -> None:
    request = offered(created()).request
    (state,) = [card for card in request.cards if card.kind is CardKind.offer]
    env = renderer.environment("en")
    context: dict[str, Any] = {"offer": None, "status": "open", "affected_value": "$1.00"}
    with pytest.raises(UndefinedError):
        env.get_template("offer.json.j2").render(context)
    assert renderer.card(request, state.card_id).kind is CardKind.offer


def test_the_renderer_reports_a_template_failure_as_a_render_error(
    renderer: Renderer, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = context_module.card_context

    def without_offer(*args: Any) -> dict[str, Any]:
        context = real(*args)
        del context["offer"]
        return context

    monkeypatch.setattr(render_module, "card_context", without_offer)
    request = offered(created()).request
    with pytest.raises(RenderError) as caught:
        renderer.card(request, f"{request.request_id}.offer.buyer")
    assert isinstance(caught.value.__cause__, UndefinedError)


def test_one_environment_per_locale_is_kept(renderer: Renderer) -> None:
    assert renderer.environment("es-MX") is renderer.environment("es")
    assert renderer.environment("es") is not renderer.environment("en")
    assert renderer.environment("fr") is renderer.environment("en")


def test_preloading_builds_every_locale_once(renderer: Renderer) -> None:
    renderer.preload()
    environments = {locale: renderer.environment(locale) for locale in SUPPORTED_LOCALES}
    renderer.preload()
    assert all(renderer.environment(code) is env for code, env in environments.items())
    assert len(set(map(id, environments.values()))) == len(SUPPORTED_LOCALES)
