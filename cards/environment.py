"""The Jinja2 environment that renders card templates into JSON.

Injection-proof by construction: `finalize` JSON-encodes the value of every
`{{ expression }}`, so a template writes `"title": {{ title }}` and a title containing
quotes, backslashes, newlines or `{{ … }}` comes out as one escaped JSON string. Only the
template's own literal text (the JSON punctuation) is emitted raw. Texts come from the
i18n extension with new-style gettext (`{{ _("Ship by %(when)s", when=ship_by) }}`),
which fills `%(name)s` placeholders without interpreting the values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import orjson
from babel.support import NullTranslations
from jinja2 import (
    BaseLoader,
    BytecodeCache,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    Undefined,
)
from jinja2.bccache import Bucket
from jinja2.exceptions import UndefinedError

TEMPLATES_DIR = Path(__file__).parent / "templates"
EXTENSIONS = ("jinja2.ext.i18n", "jinja2.ext.do")


def _undefined_inside(value: Any) -> Any:
    if isinstance(value, Undefined):
        str(value)  # StrictUndefined raises UndefinedError naming the missing variable
    raise TypeError(f"{type(value).__name__} cannot be written into a card")


def json_output(value: Any) -> str:
    """The `finalize` hook: every expression's value as JSON text."""
    if isinstance(value, str):  # the common case, and the fast one
        return orjson.dumps(value).decode()
    if isinstance(value, Undefined):
        str(value)
    try:
        return orjson.dumps(value, default=_undefined_inside).decode()
    except orjson.JSONEncodeError as error:
        if isinstance(error.__cause__, UndefinedError):
            raise error.__cause__ from None
        raise


def plain_text(
    title: str, lines: Sequence[str], fields: Sequence[Mapping[str, str]], hint: str | None
) -> str:
    """The card as plain chat text, for clients that cannot show cards."""
    parts = [title, *lines]
    parts.extend(f"{field['label']}: {field['value']}" for field in fields)
    if hint:
        parts.append(hint)
    return "\n".join(parts)


def is_blank(value: Any) -> bool:
    """The `blank` test: None, or text with nothing but whitespace."""
    return value is None or (isinstance(value, str) and not value.strip())


class _SharedBytecode(BytecodeCache):
    """Compiled templates shared by the environments of every locale, in memory.

    The environments differ only in the gettext functions they install at run time, so
    code compiled for one locale runs in all: a new locale costs a catalog load, not a
    compile of every template (about 40 ms).
    """

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_BYTECODE = _SharedBytecode()


def make_environment(
    translations: NullTranslations, loader: BaseLoader | None = None
) -> Environment:
    """An environment speaking one locale; templates from `cards/templates` by default."""
    env = Environment(
        loader=loader or FileSystemLoader(TEMPLATES_DIR),
        undefined=StrictUndefined,
        finalize=json_output,
        autoescape=False,  # JSON, not HTML: escaping is json_output's job
        extensions=list(EXTENSIONS),
        auto_reload=False,  # templates ship with the code; no stat() per render
        bytecode_cache=_BYTECODE if loader is None else None,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # The i18n extension adds this method at run time; typing cannot see it.
    cast(Any, env).install_gettext_translations(translations, newstyle=True)
    # `_` is an alias that looks `gettext` up on every call; templates never rebind
    # `gettext`, so point `_` at it directly (a third of the cost of each text).
    env.globals["_"] = env.globals["gettext"]
    env.globals["plain_text"] = plain_text
    env.tests["blank"] = is_blank
    return env
